// Loaded with `node --import` into a json-server child process: binds every server it starts to
// 127.0.0.1 (json-server 1 ignores --host and listens on every interface) and reports the port it
// got (the tests ask for port 0, a free one) as a line on stdout.
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnLoopback(...args) {
  const [port] = args;
  if (typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port))) {
    const callback = args.find((argument) => typeof argument === 'function');
    args = [{ port: Number(port), host: '127.0.0.1' }, ...(callback ? [callback] : [])];
  }
  this.once('listening', () => process.stdout.write(`\njson-server-port=${this.address().port}\n`));
  return listen.apply(this, args);
};
