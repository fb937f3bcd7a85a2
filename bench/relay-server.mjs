// The ceiling for messaging: a bare `ws` relay with no auth, no validation and no persistence.
// A client says {"join": room}; every other frame is acked to its sender and copied to the
// room's other sockets. Run as its own process so its CPU is measured like the server's.
import { WebSocketServer } from 'ws';

const rooms = new Map();
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
wss.on('listening', () => console.log(`listening ${wss.address().port}`));
wss.on('connection', (ws) => {
  let room = null;
  ws.on('message', (data) => {
    const s = data.toString();
    if (room === null) {
      room = JSON.parse(s).join;
      if (!rooms.has(room)) rooms.set(room, new Set());
      rooms.get(room).add(ws);
      ws.send('{"type":"ready"}');
      return;
    }
    const clientId = /"client_id":"([^"]+)"/.exec(s)[1];
    ws.send(`{"type":"message_ack","payload":{"client_id":"${clientId}"}}`);
    const out = `{"type":"new_message","payload":${s}}`;
    for (const peer of rooms.get(room)) if (peer !== ws) peer.send(out);
  });
  ws.on('close', () => room !== null && rooms.get(room).delete(ws));
});
