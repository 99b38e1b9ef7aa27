// Capture real SDP from Debian's Chromium for tests/sdp-corpus: offers and
// answers the way JsSIP makes them (JsSIP 3 sends the peer connection's
// localDescription once ICE gathering is complete, unmodified), from an
// RTCPeerConnection in a page served on 127.0.0.1, fake media devices.
//
//   sh scripts/browser-deps.sh
//   node tests/browser/capture-sdp.mjs OUT_DIR [REMOTE_OFFER.sdp]...
//
// Writes chromium-*.sdp into OUT_DIR; each REMOTE_OFFER is answered too
// (chromium-answer-to-<name>.sdp). Run it inside a loopback-only namespace
// (unshare --net) so that only 127.0.0.1 candidates appear.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

if (process.argv.length < 3) {
	process.stderr.write('Usage: capture-sdp.mjs OUT_DIR [REMOTE_OFFER.sdp]...\n');
	process.exit(64);
}
const outDir = process.argv[2];
const remoteOffers = process.argv.slice(3);
fs.mkdirSync(outDir, { recursive: true });

const server = http.createServer((req, res) => {
	res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>sdp</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sipws-sdp-'));
const browser = await chromium.launch({
	executablePath: process.env.SIPWS_CHROMIUM || '/usr/bin/chromium',
	args: ['--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update',
		'--disable-sync', '--use-fake-ui-for-media-stream',
		'--use-fake-device-for-media-stream',
		'--allow-loopback-in-peer-connection',
		'--disable-features=WebRtcHideLocalIpsWithMdns'],
	env: Object.assign({}, process.env, { HOME: work }),
});
try {
	const page = await browser.newPage();
	await page.goto(`http://127.0.0.1:${server.address().port}/`);
	const offers = remoteOffers.map((file) => [path.basename(file, '.sdp'), fs.readFileSync(file, 'utf8')]);
	const result = await page.evaluate(async (remote) => {
		const out = {};
		const gathered = (pc) => new Promise((resolve) => {
			if (pc.iceGatheringState === 'complete')
				return resolve();
			pc.addEventListener('icegatheringstatechange', () => {
				if (pc.iceGatheringState === 'complete')
					resolve();
			});
		});
		// JsSIP's defaults: rtcpMuxPolicy require, no ICE servers.
		const config = { iceServers: [], rtcpMuxPolicy: 'require' };
		async function local(pc, description) {
			await pc.setLocalDescription(description);
			await gathered(pc);
			return pc.localDescription.sdp;
		}
		async function pair(name, constraints) {
			const stream = await navigator.mediaDevices.getUserMedia(constraints);
			const a = new RTCPeerConnection(config);
			const b = new RTCPeerConnection(config);
			stream.getTracks().forEach((t) => a.addTrack(t, stream));
			const answerStream = await navigator.mediaDevices.getUserMedia(constraints);
			b.ontrack = () => {};
			out[`chromium-${name}-offer`] = await local(a, await a.createOffer());
			await b.setRemoteDescription({ type: 'offer', sdp: out[`chromium-${name}-offer`] });
			answerStream.getTracks().forEach((t) => b.addTrack(t, answerStream));
			out[`chromium-${name}-answer`] = await local(b, await b.createAnswer());
			await a.setRemoteDescription({ type: 'answer', sdp: out[`chromium-${name}-answer`] });
			// Hold as JsSIP does it: a re-offer that only sends.
			a.getTransceivers().forEach((t) => { t.direction = 'sendonly'; });
			out[`chromium-${name}-hold-offer`] = await local(a, await a.createOffer());
			await b.setRemoteDescription({ type: 'offer', sdp: out[`chromium-${name}-hold-offer`] });
			out[`chromium-${name}-hold-answer`] = await local(b, await b.createAnswer());
			a.close();
			b.close();
			stream.getTracks().forEach((t) => t.stop());
			answerStream.getTracks().forEach((t) => t.stop());
		}
		await pair('audio', { audio: true });
		await pair('av', { audio: true, video: true });
		// Video stopped after the first exchange: the re-offer and its
		// answer carry a port-0 (rejected) m-line.
		{
			const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
			const a = new RTCPeerConnection(config);
			const b = new RTCPeerConnection(config);
			stream.getTracks().forEach((t) => a.addTrack(t, stream));
			await b.setRemoteDescription({ type: 'offer', sdp: await local(a, await a.createOffer()) });
			await a.setRemoteDescription({ type: 'answer', sdp: await local(b, await b.createAnswer()) });
			a.getTransceivers().forEach((t) => { if (t.sender.track && t.sender.track.kind === 'video') t.stop(); });
			out['chromium-av-video-stopped-offer'] = await local(a, await a.createOffer());
			await b.setRemoteDescription({ type: 'offer', sdp: out['chromium-av-video-stopped-offer'] });
			out['chromium-av-video-stopped-answer'] = await local(b, await b.createAnswer());
			a.close();
			b.close();
			stream.getTracks().forEach((t) => t.stop());
		}
		for (const [name, sdp] of remote) {
			const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
			const pc = new RTCPeerConnection(config);
			await pc.setRemoteDescription({ type: 'offer', sdp });
			stream.getTracks().forEach((t) => pc.addTrack(t, stream));
			out[`chromium-answer-to-${name}`] = await local(pc, await pc.createAnswer());
			pc.close();
			stream.getTracks().forEach((t) => t.stop());
		}
		out.version = navigator.userAgent;
		return out;
	}, offers);
	for (const [name, sdp] of Object.entries(result)) {
		if (name === 'version') {
			process.stderr.write(`capture-sdp: ${sdp}\n`);
			continue;
		}
		fs.writeFileSync(path.join(outDir, `${name}.sdp`), sdp);
		process.stderr.write(`capture-sdp: wrote ${name}.sdp\n`);
	}
} finally {
	await browser.close();
	server.close();
	fs.rmSync(work, { recursive: true, force: true });
}
