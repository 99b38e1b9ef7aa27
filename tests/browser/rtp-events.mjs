// What the page receives as RFC 4733 telephone-events, read off the
// RTP payloads its audio receiver takes in (after SRTP). A page has no
// other way to see them: JsSIP reports only INFO digits, and NetEq plays
// events as tones whose length depends on the sender's packets and on
// the machine's load (Chromium's own 200 ms digits play for 60-140 ms;
// next to a busy loop, t0515's four 100 ms digits lost one in 6 of 10
// runs), so a detector on the decoded audio cannot say which events
// arrived.
//
// Every RTCPeerConnection the page makes is configured with
// encodedInsertableStreams (page.mjs); Chromium then sends and receives
// only through the streams createEncodedStreams() gives, so every sender
// and receiver is piped here, in a worker (a busy page's main thread
// must not hold media back). A frame of 4 bytes is one RFC 4733 event
// (event code, E bit and volume, duration): the worker tells the page,
// which keeps it when its payload type is the receiver's
// telephone-event, and reports each event once, at its first end packet,
// with its duration in ms and how far its RTP timestamp lies from the
// audio's.
const worker = `
onmessage = (m) => {
	const { id, readable, writable } = m.data;
	// The last other frame's payload type and RTP timestamp.
	let audio = null;
	readable.pipeThrough(new TransformStream({
		transform(frame, controller) {
			if (id !== null) {
				const meta = frame.getMetadata();
				if (frame.data.byteLength === 4) {
					const b = new Uint8Array(frame.data);
					postMessage({ id, pt: meta.payloadType, ts: meta.rtpTimestamp,
						event: b[0], end: (b[1] & 0x80) !== 0,
						duration: (b[2] << 8) | b[3], audio });
				} else {
					audio = { pt: meta.payloadType, ts: meta.rtpTimestamp };
				}
			}
			controller.enqueue(frame);
		},
	})).pipeTo(writable).catch(() => {});
};
`;

const KEYS = '0123456789*#ABCD';
let pipes = null;
const receivers = new Map();
let nextId = 0;

function pipeWorker() {
	if (!pipes) {
		pipes = new Worker(URL.createObjectURL(new Blob([worker], { type: 'text/javascript' })));
		pipes.onmessage = (m) => {
			const r = receivers.get(m.data.id);
			if (r)
				r.packet(m.data);
		};
	}
	return pipes;
}

function pipe(endpoint, id) {
	const { readable, writable } = endpoint.createEncodedStreams();
	pipeWorker().postMessage({ id, readable, writable }, [readable, writable]);
}

function inserting(pc) {
	const config = pc.getConfiguration ? pc.getConfiguration() : {};
	return config.encodedInsertableStreams === true;
}

// Pipe the senders JsSIP adds (addTrack, addTransceiver) on connections
// made with encodedInsertableStreams; once, when the page loads.
export function pipeSenders() {
	const addTrack = RTCPeerConnection.prototype.addTrack;
	RTCPeerConnection.prototype.addTrack = function (...args) {
		const sender = addTrack.apply(this, args);
		if (inserting(this) && !sender.sipwsPiped) {
			sender.sipwsPiped = true;
			pipe(sender, null);
		}
		return sender;
	};
	const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
	RTCPeerConnection.prototype.addTransceiver = function (...args) {
		const transceiver = addTransceiver.apply(this, args);
		if (inserting(this) && !transceiver.sender.sipwsPiped) {
			transceiver.sender.sipwsPiped = true;
			pipe(transceiver.sender, null);
		}
		return transceiver;
	};
}

// Pipe a receiver (from a "track" event of `pc`, at once); for audio,
// `onEvent({tone, ms, skew})` gets each telephone-event received, in
// order: its duration, and its RTP timestamp less the one of the audio
// packet received before it, in ms (null before any audio).
export function watchReceiver(pc, receiver, onEvent) {
	if (!inserting(pc) || receiver.sipwsPiped)
		return;
	receiver.sipwsPiped = true;
	if (receiver.track.kind !== 'audio') {
		pipe(receiver, null);
		return;
	}
	const id = nextId++;
	// Events by payload type, RTP timestamp and code: the audio before
	// the first packet seen, or true once reported.
	const events = new Map();
	receivers.set(id, {
		packet(p) {
			const key = `${p.pt}:${p.ts}:${p.event}`;
			if (!events.has(key)) {
				events.set(key, p.audio);
				if (events.size > 64)
					events.delete(events.keys().next().value);
			}
			const before = events.get(key);
			if (!p.end || before === true)
				return;
			const codecs = receiver.getParameters().codecs || [];
			const codec = codecs.find((c) =>
				c.payloadType === p.pt && /\/telephone-event$/i.test(c.mimeType));
			if (!codec || p.event >= KEYS.length)
				return;
			events.set(key, true);
			// How far the event's RTP timestamp lies after the audio
			// packet received before its first packet, in ms of that
			// audio's clock: tens of ms on one timeline; NetEq drops
			// events far off it.
			const audio = before && codecs.find((c) => c.payloadType === before.pt);
			const skew = audio ? Math.round(((p.ts - before.ts) | 0) * 1000 / audio.clockRate) : null;
			onEvent({ tone: KEYS[p.event], ms: Math.round(p.duration * 1000 / codec.clockRate), skew });
		},
	});
	pipe(receiver, id);
}
