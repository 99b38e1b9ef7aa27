// What the page hears: the remote audio of a call, through WebAudio.
// `listen(track, onDtmf)` plays a received audio track and taps it with an
// AnalyserNode (for `tone`: the dominant frequency) and an AudioWorklet
// that detects DTMF tones in the decoded audio. Chromium (libwebrtc's
// NetEq) renders received RFC 4733 telephone-events as DTMF tones; what
// it renders depends on the sender's packets and on the machine's load,
// so the page reports tones heard (dtmf_heard) apart from the events
// received (dtmf_received, rtp-events.mjs), and tests assert the events.

// The DTMF detector, run in the audio thread: Goertzel filters at the
// eight DTMF frequencies over 20 ms windows every 10 ms. A window holds a
// digit when its strongest row and column frequencies carry over a third
// of its energy and each stands 2.5 times above the other rows (columns).
// NetEq plays the row 3 dB below the column, and a window that straddles
// the tone's start or end also holds speech: stricter limits (4 times,
// half the energy) missed one digit in about twenty on a loaded machine.
// A digit is reported when it ends, with its length, once it held three
// windows in a row (40 ms of tone, what ITU-T Q.24 asks a receiver to
// accept; NetEq plays a 100 ms event for 40-80 ms): speech between
// sip-call's digits once made two windows of a "9". Up to ten odd windows
// inside a digit are forgiven, a gap of 90 ms at most, shorter than any
// pause between two digits the tests send (240 ms and more): under ASan
// on a loaded machine the browser heard a 100 ms digit as 50 and 30 ms,
// and a 200 ms digit as 40 and 140 ms 70 ms apart (NetEq stops a digit
// whose next packet is 70 ms late). Two windows of another digit end the
// current one at once.
const detector = `
const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];
const DEBUG = false;
class Dtmf extends AudioWorkletProcessor {
	constructor() {
		super();
		this.n = Math.round(sampleRate * 0.02);
		this.hop = Math.round(sampleRate * 0.01);
		this.ring = new Float32Array(this.n);
		this.block = new Float32Array(this.n);
		this.fill = 0;
		this.pending = 0;
		this.current = null;
		this.blocks = 0;
		this.misses = 0;
		this.run = 0;
		this.best = 0;
		this.other = null;
		this.otherBlocks = 0;
		this.heard = false;
	}
	power(f) {
		const k = 2 * Math.cos(2 * Math.PI * f / sampleRate);
		let s1 = 0, s2 = 0;
		for (let i = 0; i < this.n; i++) {
			const s = this.block[i] + k * s1 - s2;
			s2 = s1;
			s1 = s;
		}
		return s1 * s1 + s2 * s2 - k * s1 * s2;
	}
	classify() {
		let energy = 0;
		for (let i = 0; i < this.n; i++)
			energy += this.block[i] * this.block[i];
		// Below -40 dBFS RMS: silence.
		if (energy / this.n < 1e-4)
			return null;
		if (!this.heard) {
			this.heard = true;
			this.port.postMessage({ heard: true });
		}
		// A sine of amplitude A gives power (A n / 2)^2 and energy
		// A^2 n / 2: the ratio is 1 for a pure tone, 1/2 each for two.
		const norm = this.n * energy / 2;
		const best = (freqs) => {
			const p = freqs.map((f) => this.power(f) / norm);
			let i = 0;
			for (let j = 1; j < p.length; j++)
				if (p[j] > p[i])
					i = j;
			const rest = Math.max(...p.filter((_, j) => j !== i));
			return { i, p: p[i], rest };
		};
		const r = best(ROWS), c = best(COLS);
		if (DEBUG && r.p + c.p > 0.2)
			this.port.postMessage({ debug: [currentTime.toFixed(3), energy / this.n,
				r.i, r.p, r.rest, c.i, c.p, c.rest].join(' ') });
		if (r.p < 0.04 || c.p < 0.04 || r.p + c.p < 0.35 ||
		    r.p < 2.5 * r.rest || c.p < 2.5 * c.rest)
			return null;
		return KEYS[r.i][c.i];
	}
	step(key) {
		if (key !== null && key === this.current) {
			this.blocks++;
			this.run++;
			this.best = Math.max(this.best, this.run);
			this.misses = 0;
			this.other = null;
			return;
		}
		this.run = 0;
		// Two windows in a row of another digit start it at once.
		if (key !== null && key === this.other) {
			this.otherBlocks++;
		} else {
			this.other = key;
			this.otherBlocks = key === null ? 0 : 1;
		}
		// Up to ten odd windows inside a digit are forgiven (a gap of
		// 90 ms at most).
		if (this.current !== null && this.misses < 10 && this.otherBlocks < 2) {
			this.misses++;
			return;
		}
		if (this.current !== null && this.best >= 3)
			this.port.postMessage({ tone: this.current, ms: this.blocks * 10 + 10 });
		this.current = key;
		this.blocks = key === null ? 0 : Math.max(1, this.otherBlocks);
		this.run = this.best = this.blocks;
		this.misses = 0;
		this.other = null;
		this.otherBlocks = 0;
	}
	process(inputs) {
		const input = inputs[0] && inputs[0][0];
		if (!input)
			return true;
		for (let i = 0; i < input.length; i++) {
			this.ring[this.fill] = input[i];
			this.fill = (this.fill + 1) % this.n;
			if (++this.pending === this.hop) {
				this.pending = 0;
				// The last n samples, oldest first.
				for (let j = 0; j < this.n; j++)
					this.block[j] = this.ring[(this.fill + j) % this.n];
				this.step(this.classify());
			}
		}
		return true;
	}
}
registerProcessor('sipws-dtmf', Dtmf);
`;

let context = null;
let workletReady = null;

function audioContext() {
	if (!context) {
		context = new AudioContext();
		workletReady = context.audioWorklet.addModule(
			URL.createObjectURL(new Blob([detector], { type: 'text/javascript' })));
	}
	// No user gesture in a test: peer.mjs starts Chromium with
	// --autoplay-policy=no-user-gesture-required, and this makes sure.
	if (context.state !== 'running')
		context.resume();
	return context;
}

// The remote audio being listened to: {track, element, source, analyser, worklet}.
let current = null;

export function stopListening() {
	if (!current)
		return;
	const { element, source, worklet } = current;
	current = null;
	source.disconnect();
	if (worklet) {
		worklet.port.onmessage = null;
		worklet.disconnect();
	}
	element.srcObject = null;
	element.remove();
}

// Play `track` (an audio MediaStreamTrack) and listen to it; `onDtmf`
// gets {tone, ms} for each DTMF digit heard, `onAudio` is called once, when
// the first 20 ms above -40 dBFS are heard.
export async function listen(track, onDtmf, onAudio) {
	stopListening();
	const stream = new MediaStream([track]);
	// Chromium pulls a remote WebRTC track (decodes it, counts its
	// samples) only while a media element plays it; WebAudio alone hears
	// silence.
	const element = document.createElement('audio');
	element.srcObject = stream;
	element.autoplay = true;
	document.body.appendChild(element);
	element.play().catch(() => {});
	const ctx = audioContext();
	const source = ctx.createMediaStreamSource(stream);
	const analyser = ctx.createAnalyser();
	analyser.fftSize = 32768;
	analyser.smoothingTimeConstant = 0;
	source.connect(analyser);
	const mine = { track, element, source, analyser, worklet: null };
	current = mine;
	await workletReady;
	if (current !== mine)
		return;
	const worklet = new AudioWorkletNode(ctx, 'sipws-dtmf');
	worklet.port.onmessage = (e) => {
		if (e.data.debug)
			console.log(`dtmf: ${e.data.debug}`);
		else if (e.data.heard)
			onAudio();
		else
			onDtmf(e.data);
	};
	source.connect(worklet);
	// A worklet runs only while connected to the destination: silently.
	const mute = ctx.createGain();
	mute.gain.value = 0;
	worklet.connect(mute).connect(ctx.destination);
	mine.worklet = worklet;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The dominant frequency of the remote audio over `ms` milliseconds: the
// analyser's spectrum (32768-point FFT, 1.5 Hz bins at 48 kHz) summed
// every 100 ms, its highest bin above 50 Hz refined by a parabola through
// its neighbours; and the RMS level in dBFS. Silence (below -50 dBFS)
// has no frequency (null).
export async function measureTone(ms) {
	if (!current)
		throw new Error('tone: no remote audio (no call, or no audio track yet)');
	const { analyser } = current;
	const ctx = audioContext();
	const bins = analyser.frequencyBinCount;
	const sum = new Float64Array(bins);
	const spectrum = new Float32Array(bins);
	const wave = new Float32Array(analyser.fftSize);
	let squares = 0, samples = 0, frames = 0;
	const end = performance.now() + ms;
	do {
		await sleep(100);
		analyser.getFloatFrequencyData(spectrum);
		for (let i = 0; i < bins; i++)
			sum[i] += Math.pow(10, spectrum[i] / 10);
		// The last 100 ms of samples, for the level.
		analyser.getFloatTimeDomainData(wave);
		const recent = Math.min(wave.length, Math.round(ctx.sampleRate / 10));
		for (let i = wave.length - recent; i < wave.length; i++)
			squares += wave[i] * wave[i];
		samples += recent;
		frames++;
	} while (performance.now() < end);
	const binHz = ctx.sampleRate / analyser.fftSize;
	const rmsDb = samples > 0 && squares > 0 ? 10 * Math.log10(squares / samples) : -Infinity;
	let peak = Math.ceil(50 / binHz);
	for (let i = peak + 1; i < bins - 1; i++)
		if (sum[i] > sum[peak])
			peak = i;
	let frequency = null;
	if (rmsDb > -50) {
		const a = Math.log(sum[peak - 1] || 1e-30);
		const b = Math.log(sum[peak] || 1e-30);
		const c = Math.log(sum[peak + 1] || 1e-30);
		const d = a - 2 * b + c;
		const shift = d < 0 ? 0.5 * (a - c) / d : 0;
		frequency = Math.round((peak + shift) * binHz * 10) / 10;
	}
	return {
		frequency,
		level_db: Number.isFinite(rmsDb) ? Math.round(rmsDb * 10) / 10 : null,
		sample_rate: ctx.sampleRate,
		frames,
	};
}
