// The page's one WebSocket: JSON text messages out, JSON or binary frames in
// (docs/playground-protocol.md). The access token of a classroom server's URL is passed on.

export const SOCKET_PATH = "/ws";

export function socketUrl(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = new URLSearchParams(location.search).get("token");
  return `${scheme}//${location.host}${SOCKET_PATH}${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

export class Connection {
  constructor(url, { onMessage, onFrame, onOpen, onClose }) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.addEventListener("open", () => onOpen());
    this.socket.addEventListener("close", (event) => onClose(event));
    this.socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") onMessage(JSON.parse(event.data));
      else onFrame(event.data);
    });
  }

  get open() {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (this.open) this.socket.send(JSON.stringify(message));
  }
}
