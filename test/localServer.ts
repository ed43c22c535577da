/** A test HTTP server on loopback that closes its open connections when closed (no hung test). */
import type { Server } from 'http';
import type { AddressInfo, Socket } from 'net';

export interface LocalServer {
	url: string;
	close(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<LocalServer> {
	const sockets = new Set<Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve, reject) =>
				server.close((error) => (error ? reject(error) : resolve())),
			);
		},
	};
}
