// Browser side of the JsSIP interop peer: one JsSIP user agent per page,
// driven by command objects from peer.mjs and reporting events through
// the binding peer.mjs exposes as window.sipwsEmit.
//
// Each command is {cmd: NAME, id?: ANY, ...}; every event a command causes
// carries the same id, so a test can tell the answers to two commands apart.
// New commands (call, answer, hangup ...) are one more entry in `commands`.
import JsSIP from 'jssip/lib/JsSIP.js';

let ua = null;
let messageReply = { status: 200, reason: null };

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
