import axios from "axios";

const API_BASE = process.env.NEXT_PUBLIC_API_URL ?? "";
const WS_BASE = process.env.NEXT_PUBLIC_WS_URL ?? "";

export const api = axios.create({ baseURL: `${API_BASE}/api` });

export async function register(email: string, password: string) {
  const response = await fetch(`${API_BASE}/api/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return response.json();
}

export async function login(email: string, password: string) {
  const { data } = await api.post("/auth/login", { email, password });
  return data.token as string;
}

export async function upload(file: File) {
  const form = new FormData();
  form.append("file", file);
  const { data } = await api.post("/content/upload", form);
  return data.file_id as string;
}

export function openGuideAgent(): WebSocket {
  return new WebSocket(`${WS_BASE}/guide-agent`);
}

export function openLiaison(pillar: string): WebSocket {
  return new WebSocket(`${WS_BASE}/liaison/${pillar}`);
}
