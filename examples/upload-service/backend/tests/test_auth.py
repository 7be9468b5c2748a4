def test_login(client):
    response = client.post("/api/auth/login", json={"email": "a@example.com", "password": "pw"})
    assert response.status_code == 200


def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}
