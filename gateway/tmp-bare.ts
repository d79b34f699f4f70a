import { Agent, createServer, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const up = Number(process.env.UP);
createServer((req, res) => {
  const out = request(
    { hostname: '127.0.0.1', port: up, path: req.url, method: req.method, headers: req.headers, agent },
    (incoming) => {
      res.writeHead(incoming.statusCode ?? 502, incoming.headers);
      incoming.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  out.end();
}).listen(Number(process.env.WEB_PORT), '127.0.0.1');
createServer((_q, s) => s.end('ok')).listen(Number(process.env.GATEWAY_ADMIN_PORT));
