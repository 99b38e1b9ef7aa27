// Browser side of the JsSIP interop peer: one JsSIP user agent per page,
// driven by command objects from peer.mjs and reporting events through
// the binding peer.mjs exposes as window.sipwsEmit.
//
// Each command is {cmd: NAME, id?: ANY, ...}; every event a command causes
// carries the same id, so a test can tell the answers to two commands apart.
// A new command is one more entry in `commands`.
import JsSIP from 'jssip/lib/JsSIP.js';
import { listen, measureTone, stopListening } from './audio.mjs';
import { pipeSenders, watchReceiver } from './rtp-events.mjs';

// RFC 4733 events are read off the received RTP (rtp-events.mjs): every
// connection is made with encodedInsertableStreams and its senders piped.
pipeSenders();

let ua = null;
let messageReply = { status: 200, reason: null };
// The call in progress (one at a time): {session, start, id, incoming}.
let call = null;
// Answer incoming calls by themselves: {delay, video} or null.
let autoAnswer = null;

function emit(event, fields) {
	window.sipwsEmit(Object.assign({ event }, fields));
}

function withId(command, fields) {
	return command.id === undefined ? fields : Object.assign({ id: command.id }, fields);
}

// Milliseconds since a command arrived, for the timings tests report.
function since(start) {
	return Math.round(performance.now() - start);
}

function uriOf(nameAddrHeader) {
	return nameAddrHeader ? nameAddrHeader.uri.toString() : null;
}

function displayName(nameAddrHeader) {
	return nameAddrHeader && nameAddrHeader.display_name ? nameAddrHeader.display_name : null;
}

function requireUa(command) {
	if (!ua)
		throw new Error(`${command.cmd}: no user agent yet (send "register" first)`);
}

function onIncomingMessage(e) {
	if (e.originator !== 'remote')
		return;
	const request = e.request;
	emit('message', {
		from: uriOf(request.from),
		from_display: displayName(request.from),
		to: uriOf(request.to),
		ruri: request.ruri ? request.ruri.toString() : null,
		call_id: request.call_id,
		content_type: request.getHeader('Content-Type') || null,
		// JsSIP has decoded the frame as UTF-8: the body is the text sent.
		body: request.body === undefined || request.body === null ? '' : request.body,
		// The whole request as JsSIP read it, for checks on headers.
		raw: request.data,
	});
	if (messageReply.status !== 200)
		e.message.reject({ status_code: messageReply.status, reason_phrase: messageReply.reason || undefined });
}

// ---- calls --------------------------------------------------------------

function requireCall(command) {
	if (!call)
		throw new Error(`${command.cmd}: no call`);
	return call.session;
}

// The fields of a call's events: the id of the command that placed or
// answered the call (or `id`), and milliseconds since the call began (the
// `call` command, or the INVITE's arrival).
function callEvent(c, fields, id = c.id) {
	const base = id === undefined ? {} : { id };
	return Object.assign(base, fields, { ms: since(c.start) });
}

function statusOf(message) {
	return message && message.status_code !== undefined ? message.status_code : null;
}

function reasonOf(message) {
	return message && message.reason_phrase !== undefined ? message.reason_phrase : null;
}

// rtp_events: false makes the connection without encodedInsertableStreams
// (no RFC 4733 event is then reported; the benchmark's JsSIP calls so).
function mediaOptions(command) {
	return {
		mediaConstraints: { audio: true, video: command.video === true },
		pcConfig: Object.assign({}, command.pc_config || { iceServers: [] },
			{ encodedInsertableStreams: command.rtp_events !== false }),
	};
}

// Remote tracks: every receiver is piped (rtp-events.mjs: RFC 4733 events);
// audio is played and listened to (tone, DTMF tones heard), video is
// played so that Chromium decodes it.
function watchConnection(c, pc) {
	if (c.pc === pc)
		return;
	c.pc = pc;
	pc.addEventListener('track', (e) => {
		// At once, whatever the call: the receiver's media flows only
		// once piped.
		try {
			watchReceiver(pc, e.receiver, (d) => {
				if (call === c)
					emit('dtmf_received', callEvent(c, { tone: d.tone, transport: 'rfc4733', duration: d.ms, skew: d.skew }));
			});
		} catch (error) {
			emit('error', { cmd: 'rtp_events', reason: String(error.message || error) });
		}
		if (call !== c)
			return;
		if (e.track.kind === 'audio') {
			listen(e.track, (d) => {
				if (call === c)
					emit('dtmf_heard', callEvent(c, { tone: d.tone, duration: d.ms }));
			}, () => {
				// Once a call: a re-INVITE may bring the track again.
				if (call === c && !c.audioStarted) {
					c.audioStarted = true;
					emit('audio_started', callEvent(c, {}));
				}
			}).catch((error) => emit('error', { cmd: 'listen', reason: String(error.message || error) }));
		} else if (e.track.kind === 'video') {
			const element = document.createElement('video');
			element.muted = true;
			element.autoplay = true;
			element.srcObject = new MediaStream([e.track]);
			document.body.appendChild(element);
			element.play().catch(() => {});
			c.video = element;
		}
	});
}

function endCall(c) {
	if (call !== c)
		return;
	call = null;
	stopListening();
	if (c.video) {
		c.video.srcObject = null;
		c.video.remove();
	}
}

function watchSession(c) {
	const s = c.session;
	if (s.connection)
		watchConnection(c, s.connection);
	s.on('peerconnection', (e) => watchConnection(c, e.peerconnection));
	s.on('progress', (e) => emit('call_progress', callEvent(c, {
		originator: e.originator,
		status: statusOf(e.response),
		reason: reasonOf(e.response),
	})));
	s.on('accepted', (e) => emit('call_accepted', callEvent(c, {
		originator: e.originator,
		status: statusOf(e.response),
	})));
	s.on('confirmed', (e) => emit('call_confirmed', callEvent(c, { originator: e.originator })));
	s.on('ended', (e) => {
		endCall(c);
		emit('call_ended', callEvent(c, { originator: e.originator, cause: e.cause || null }));
	});
	s.on('failed', (e) => {
		endCall(c);
		// A response's status for a failure the other side caused.
		const response = e.message && e.message.status_code !== undefined ? e.message : null;
		emit('call_failed', callEvent(c, {
			originator: e.originator,
			status: statusOf(response),
			reason: reasonOf(response),
			cause: e.cause || null,
		}));
	});
	// A re-INVITE or UPDATE from the other side, with the direction its
	// offer asks for (JsSIP's own hold/unhold events follow).
	for (const method of ['reinvite', 'update']) {
		s.on(method, (e) => {
			const body = e.request.body || '';
			const direction = /\r?\na=(sendrecv|sendonly|recvonly|inactive)\r?\n/.exec(body);
			emit('reinvite', callEvent(c, {
				method: e.request.method,
				direction: direction ? direction[1] : null,
				sdp: body !== '',
			}));
		});
	}
	s.on('hold', (e) => emit('hold', callEvent(c, { originator: e.originator })));
	s.on('unhold', (e) => emit('unhold', callEvent(c, { originator: e.originator })));
	s.on('newDTMF', (e) => {
		const transport = 'info';
		if (e.originator === 'remote')
			emit('dtmf_received', callEvent(c, { tone: e.dtmf.tone, transport, duration: e.dtmf.duration }));
		else
			emit('dtmf_sent', callEvent(c, { tone: e.dtmf.tone, transport }, c.dtmfId));
	});
	s.on('newInfo', (e) => {
		if (e.originator !== 'remote')
			return;
		const type = e.info.contentType || '';
		const body = e.info.body === undefined || e.info.body === null ? '' : e.info.body;
		// application/dtmf-relay comes as newDTMF; application/dtmf
		// holds the digit alone.
		if (/^application\/dtmf\s*(;|$)/i.test(type))
			emit('dtmf_received', callEvent(c, { tone: body.trim(), transport: 'info', duration: null }));
		else
			emit('info', callEvent(c, { content_type: type, body }));
	});
	for (const what of ['getusermediafailed', 'peerconnection:createofferfailed',
		'peerconnection:createanswerfailed', 'peerconnection:setlocaldescriptionfailed',
		'peerconnection:setremotedescriptionfailed']) {
		s.on(what, (error) => emit('error', callEvent(c, { cmd: what, reason: String(error && (error.message || error)) })));
	}
}

function answerCall(c, options) {
	if (call !== c || c.session.isEnded())
		return;
	try {
		c.session.answer(Object.assign(mediaOptions(options), {
			extraHeaders: options.extra_headers || [],
		}));
	} catch (error) {
		emit('error', callEvent(c, { cmd: 'answer', reason: String(error.message || error) }));
	}
}

function onNewSession(e) {
	if (e.originator === 'local') {
		// From inside ua.call(), before it returns: watch the session
		// from its first event on.
		if (call && !call.session) {
			call.session = e.session;
			watchSession(call);
		}
		return;
	}
	const request = e.request;
	const fields = {
		from: uriOf(request.from),
		from_display: displayName(request.from),
		to: uriOf(request.to),
		ruri: request.ruri ? request.ruri.toString() : null,
		call_id: request.call_id,
		video: /\r?\nm=video /.test(request.body || ''),
		raw: request.data,
	};
	if (call) {
		e.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
		emit('call_incoming', Object.assign(fields, { busy: true }));
		return;
	}
	const c = { session: e.session, start: performance.now(), id: undefined, incoming: true };
	call = c;
	watchSession(c);
	emit('call_incoming', Object.assign(fields, { busy: false }));
	if (autoAnswer) {
		const options = autoAnswer;
		setTimeout(() => answerCall(c, options), options.delay || 0);
	}
}

// {frequency, level_db, ...} of the remote audio, or the fields of the
// call's getStats() that tell whether media flows.
async function callStats(pc) {
	const report = await pc.getStats();
	const out = {};
	let inbound = null, outbound = null, video = null, videoOut = null, pair = null;
	report.forEach((s) => {
		if (s.type === 'inbound-rtp' && s.kind === 'audio')
			inbound = s;
		else if (s.type === 'outbound-rtp' && s.kind === 'audio')
			outbound = s;
		else if (s.type === 'inbound-rtp' && s.kind === 'video')
			video = s;
		else if (s.type === 'outbound-rtp' && s.kind === 'video')
			videoOut = s;
		else if (s.type === 'transport' && s.selectedCandidatePairId)
			pair = report.get(s.selectedCandidatePairId);
	});
	const pick = (from, names) => {
		for (const name of names)
			out[name] = from && from[name] !== undefined ? from[name] : null;
	};
	pick(inbound, ['packetsReceived', 'bytesReceived', 'packetsLost', 'jitter',
		'totalSamplesReceived', 'concealedSamples', 'silentConcealedSamples',
		'audioLevel', 'totalAudioEnergy', 'totalSamplesDuration']);
	pick(outbound, ['packetsSent', 'bytesSent']);
	out.codec = inbound && inbound.codecId && report.get(inbound.codecId)
		? report.get(inbound.codecId).mimeType : null;
	out.roundTripTime = pair && pair.currentRoundTripTime !== undefined ? pair.currentRoundTripTime : null;
	if (pair) {
		const local = report.get(pair.localCandidateId);
		const remote = report.get(pair.remoteCandidateId);
		out.localCandidate = local ? `${local.address}:${local.port}/${local.protocol}` : null;
		out.remoteCandidate = remote ? `${remote.address}:${remote.port}/${remote.protocol}` : null;
	}
	out.videoFramesDecoded = video && video.framesDecoded !== undefined ? video.framesDecoded : null;
	out.videoFramesSent = videoOut && videoOut.framesSent !== undefined ? videoOut.framesSent : null;
	out.videoPacketsReceived = video && video.packetsReceived !== undefined ? video.packetsReceived : null;
	out.videoCodec = video && video.codecId && report.get(video.codecId)
		? report.get(video.codecId).mimeType : null;
	return out;
}

// Commands whose answer takes a while: events (or an error) come later.
function later(command, work) {
	work().catch((error) => emit('error', withId(command, {
		cmd: command.cmd, reason: String(error.message || error),
	})));
}

const commands = {
	// {cmd:"register", uri, password, ws, register?: true, display_name?,
	//  authorization_user?, expires?, config?: {extra JsSIP settings}}
	register(command) {
		if (ua)
			throw new Error('register: a user agent is already running');
		if (!command.uri || !command.ws)
			throw new Error('register: "uri" and "ws" are required');
		const start = performance.now();
		const config = Object.assign({
			sockets: [new JsSIP.WebSocketInterface(command.ws)],
			uri: command.uri,
			password: command.password,
			register: command.register !== false,
			session_timers: false,
			// Reconnect quickly: servers close idle WebSockets (TESTING.md).
			connection_recovery_min_interval: 1,
			connection_recovery_max_interval: 4,
		}, command.config || {});
		if (command.display_name !== undefined)
			config.display_name = command.display_name;
		if (command.authorization_user !== undefined)
			config.authorization_user = command.authorization_user;
		if (command.expires !== undefined)
			config.register_expires = command.expires;
		ua = new JsSIP.UA(config);
		ua.on('connected', () => emit('connected', withId(command, {})));
		ua.on('disconnected', (e) => emit('disconnected', withId(command, {
			error: Boolean(e.error), code: e.code === undefined ? null : e.code,
			reason: e.reason || null,
		})));
		ua.on('registered', (e) => emit('registered', withId(command, {
			status: e.response ? e.response.status_code : null,
			ms: since(start),
		})));
		ua.on('unregistered', (e) => emit('unregistered', withId(command, {
			status: e.response ? e.response.status_code : null,
		})));
		ua.on('registrationFailed', (e) => emit('registration_failed', withId(command, {
			status: e.response ? e.response.status_code : null,
			cause: e.cause || null,
			ms: since(start),
		})));
		ua.on('newMessage', onIncomingMessage);
		ua.on('newRTCSession', onNewSession);
		ua.start();
	},

	// {cmd:"unregister"}: send REGISTER with Expires: 0, keep the transport.
	unregister(command) {
		requireUa(command);
		ua.unregister();
	},

	// {cmd:"message", to, body, content_type?: "text/plain", headers?: [..]}
	message(command) {
		requireUa(command);
		if (typeof command.to !== 'string' || typeof command.body !== 'string')
			throw new Error('message: "to" and "body" (strings) are required');
		const start = performance.now();
		const result = (event, e) => emit(event, withId(command, {
			to: command.to,
			status: e.response ? e.response.status_code : null,
			reason: e.response ? e.response.reason_phrase : null,
			cause: e.cause || null,
			ms: since(start),
		}));
		ua.sendMessage(command.to, command.body, {
			contentType: command.content_type || 'text/plain',
			extraHeaders: command.headers || [],
			eventHandlers: {
				succeeded: (e) => result('message_sent', e),
				failed: (e) => result('message_failed', e),
			},
		});
	},

	// {cmd:"message_reply", status, reason?}: answer later incoming MESSAGEs
	// with this status instead of 200 (JsSIP sends no other 2xx).
	message_reply(command) {
		const status = Number(command.status);
		if (!Number.isInteger(status) || (status !== 200 && (status < 300 || status > 699)))
			throw new Error('message_reply: "status" must be 200 or 300..699');
		messageReply = { status, reason: command.reason || null };
		emit('ok', withId(command, { cmd: command.cmd }));
	},

	// {cmd:"call", to, video?: false, extra_headers?: [..], pc_config?, rtp_events?: true}
	call(command) {
		requireUa(command);
		if (call)
			throw new Error('call: a call is in progress');
		if (typeof command.to !== 'string')
			throw new Error('call: "to" (a string) is required');
		const c = { session: null, start: performance.now(), id: command.id, incoming: false };
		call = c;
		try {
			ua.call(command.to, Object.assign(mediaOptions(command), {
				extraHeaders: command.extra_headers || [],
			}));
		} catch (error) {
			call = null;
			throw error;
		}
	},

	// {cmd:"answer", delay?: ms, video?: false, extra_headers?, pc_config?, rtp_events?}
	answer(command) {
		const c = call;
		if (!c || !c.incoming)
			throw new Error('answer: no incoming call');
		c.id = command.id;
		setTimeout(() => answerCall(c, command), Number(command.delay) || 0);
	},

	// {cmd:"auto_answer", on?: true, delay?: ms, video?: false}: answer
	// every later incoming call (on: false stops it).
	auto_answer(command) {
		autoAnswer = command.on === false ? null : {
			delay: Number(command.delay) || 0, video: command.video === true,
			extra_headers: command.extra_headers, pc_config: command.pc_config,
			rtp_events: command.rtp_events,
		};
		emit('ok', withId(command, { cmd: command.cmd }));
	},

	// {cmd:"reject", status?: 486, reason?}: refuse the incoming call.
	reject(command) {
		const s = requireCall(command);
		const status = command.status === undefined ? 486 : Number(command.status);
		if (!Number.isInteger(status) || status < 300 || status > 699)
			throw new Error('reject: "status" must be 300..699');
		s.terminate({ status_code: status, reason_phrase: command.reason || undefined });
	},

	// {cmd:"hangup"}: BYE, CANCEL or (incoming, unanswered) 480.
	hangup(command) {
		requireCall(command).terminate();
	},

	// {cmd:"dtmf", tones, transport?: "rfc4733"|"info", duration?, gap?}
	dtmf(command) {
		const s = requireCall(command);
		const transport = command.transport || 'rfc4733';
		if (transport !== 'rfc4733' && transport !== 'info')
			throw new Error('dtmf: "transport" is "rfc4733" or "info"');
		if (typeof command.tones !== 'string')
			throw new Error('dtmf: "tones" (a string) is required');
		const options = {
			transportType: transport === 'info' ? JsSIP.C.DTMF_TRANSPORT.INFO : JsSIP.C.DTMF_TRANSPORT.RFC2833,
		};
		if (command.duration !== undefined)
			options.duration = Number(command.duration);
		if (command.gap !== undefined)
			options.interToneGap = Number(command.gap);
		if (transport === 'rfc4733') {
			// JsSIP hands the tones to the RTCDTMFSender, which says
			// when each one starts (and "" at the end).
			const sender = s.connection.getSenders().find((x) => x.track && x.track.kind === 'audio');
			if (!sender || !sender.dtmf || !sender.dtmf.canInsertDTMF)
				throw new Error('dtmf: the call cannot send RFC 4733 events');
			const c = call;
			sender.dtmf.ontonechange = (e) => {
				if (call === c && e.tone !== '')
					emit('dtmf_sent', callEvent(c, { tone: e.tone, transport }, command.id));
			};
		}
		// INFO's dtmf_sent events come from JsSIP's newDTMF.
		call.dtmfId = command.id;
		s.sendDTMF(command.tones, options);
	},

	// {cmd:"hold"}, {cmd:"unhold"}: re-INVITE with a=sendonly, then sendrecv.
	hold(command) {
		if (!requireCall(command).hold())
			throw new Error('hold: JsSIP refused (not confirmed, or already held)');
	},

	unhold(command) {
		if (!requireCall(command).unhold())
			throw new Error('unhold: JsSIP refused (not held)');
	},

	// {cmd:"stats"}: the call's getStats() figures in one "stats" event.
	stats(command) {
		const s = requireCall(command);
		if (!s.connection)
			throw new Error('stats: no peer connection yet');
		later(command, async () => emit('stats', withId(command, await callStats(s.connection))));
	},

	// {cmd:"tone", duration?: 1000}: the dominant frequency of the remote
	// audio over that many milliseconds.
	tone(command) {
		requireCall(command);
		const ms = command.duration === undefined ? 1000 : Number(command.duration);
		later(command, async () => emit('tone', withId(command, await measureTone(ms))));
	},

	// {cmd:"stop"}: unregister and close the transport (quit does this too).
	stop(command) {
		if (!ua)
			return;
		const stopped = ua;
		ua = null;
		stopped.stop();
		emit('stopped', withId(command, {}));
	},
};

window.sipwsPeer = {
	command(command) {
		const handler = Object.prototype.hasOwnProperty.call(commands, command.cmd)
			? commands[command.cmd] : null;
		try {
			if (!handler)
				throw new Error(`unknown command "${command.cmd}"`);
			handler(command);
		} catch (error) {
			emit('error', withId(command, { cmd: command.cmd, reason: String(error.message || error) }));
		}
	},
	debug(on) {
		if (on)
			JsSIP.debug.enable('JsSIP:*');
		else
			JsSIP.debug.disable();
	},
	// Resolves once the transport is closed, or after `ms` at most.
	stop(ms) {
		if (!ua)
			return Promise.resolve();
		const stopping = ua;
		ua = null;
		return new Promise((resolve) => {
			const timer = setTimeout(resolve, ms);
			stopping.on('disconnected', () => { clearTimeout(timer); resolve(); });
			stopping.stop();
		});
	},
};
