import { ferruleClients } from './ferrule-clients.ts';
import { type ClientFactory, peerClients } from './peer-clients.ts';

/** Every client the HTTP benchmark runs, peers first. */
export const clients: ClientFactory[] = [...peerClients, ...ferruleClients];
