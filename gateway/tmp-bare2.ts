import { createServer } from 'node:http';
import { Pool } from 'undici';

const up = Number(process.env.UP);
const pool = new Pool(`http://127.0.0.1:${up}`, { connections: 64, pipelining: 1 });
createServer((req, res) => {
  const headers: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') continue;
    if (name.toLowerCase() === 'connection') continue;
    headers.push(name, req.rawHeaders[i + 1] as string);
  }
  pool.dispatch({ method: req.method as 'GET', path: req.url as string, headers, body: null }, {
    onConnect() {},
    onHeaders(status: number, raw: Buffer[]) {
      const out: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const name = (raw[i] as Buffer).toString('latin1');
        if (name.toLowerCase() === 'connection' || name.toLowerCase() === 'keep-alive') continue;
        out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
      }
      res.writeHead(status, out);
      return true;
    },
    onData(chunk: Buffer) {
      return res.write(chunk);
    },
    onComplete() {
      res.end();
    },
    onError() {
      res.destroy();
    },
  } as never);
}).listen(Number(process.env.WEB_PORT), '127.0.0.1');
createServer((_q, s) => s.end('ok')).listen(Number(process.env.GATEWAY_ADMIN_PORT));
