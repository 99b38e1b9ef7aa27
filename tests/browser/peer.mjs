// JsSIP user agents in headless Chromium, driven by a line protocol: the
// interop peer of the sipws tool tests (tests/lib/browser.sh wraps it).
// One Chromium serves every user agent, each in a page of its own browser
// context, so a second user agent costs a page, not a browser start.
//
//   node peer.mjs [--ua NAME]... [--commands FIFO] [--work-dir DIR]
//                 [--chromium PATH] [--flag CHROMIUM_FLAG]...
//                 [--fake-audio WAV] [--max-lifetime SECONDS] [--parent-pid PID] [--debug]
//
// Commands are JSON objects, one a line, on standard input or on FIFO
// (opened read-write, so that writers may come and go without an EOF).
// Events are JSON objects, one a line, on standard output. Talk goes to
// standard error as "peer: ...". tests/browser/README.md has the protocol.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function usage() {
	process.stderr.write('Usage: peer.mjs [--ua NAME]... [--commands FIFO] [--work-dir DIR] '
		+ '[--chromium PATH] [--flag CHROMIUM_FLAG]... [--fake-audio WAV] [--max-lifetime SECONDS] '
		+ '[--parent-pid PID] [--debug]\n');
	process.exit(64);
}

const options = {
	uas: [],
	commands: null,
	workDir: null,
	chromium: process.env.SIPWS_CHROMIUM || '/usr/bin/chromium',
	flags: [],
	maxLifetime: 900,
	parentPid: process.ppid,
	debug: false,
};
for (let i = 2; i < process.argv.length; i++) {
	const arg = process.argv[i];
	const value = () => {
		if (i + 1 >= process.argv.length)
			usage();
		return process.argv[++i];
	};
	switch (arg) {
	case '--chromium': options.chromium = value(); break;
	case '--commands': options.commands = value(); break;
	case '--debug': options.debug = true; break;
	case '--fake-audio': options.flags.push(`--use-file-for-fake-audio-capture=${path.resolve(value())}`); break;
	case '--flag': options.flags.push(value()); break;
	case '--max-lifetime': options.maxLifetime = Number(value()); break;
	case '--parent-pid': options.parentPid = Number(value()); break;
	case '--ua': options.uas.push(value()); break;
	case '--work-dir': options.workDir = value(); break;
	default: usage();
	}
}

function talk(text) {
	process.stderr.write(`peer: ${text}\n`);
}

// Where the start-up time goes, for a slow machine's post-mortem.
function mark(what) {
	talk(`${Math.round(process.uptime() * 1000)} ms: ${what}`);
}

// stdout is a file or a pipe here, where Node writes synchronously: each
// event is out as soon as it happens.
function emit(event) {
	process.stdout.write(JSON.stringify(event) + '\n');
}

// The user agent's name first, so a reader can pick its lines by prefix.
function emitFor(ua, event) {
	emit(Object.assign({ ua }, event));
}

// Flags that work as root on these machines (see shared TESTING.md);
// playwright adds --headless, --no-sandbox and its own defaults.
const chromiumFlags = [
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--use-fake-ui-for-media-stream',
	'--use-fake-device-for-media-stream',
	'--allow-loopback-in-peer-connection',
	'--disable-features=WebRtcHideLocalIpsWithMdns',
	'--ignore-certificate-errors',
	// The page's AudioContext (tone, DTMF) runs without a user gesture.
	'--autoplay-policy=no-user-gesture-required',
];

const files = {
	'/': ['page.html', 'text/html; charset=utf-8'],
	'/page.js': [path.join('build', 'page.js'), 'text/javascript; charset=utf-8'],
};

function serve() {
	const server = http.createServer((req, res) => {
		const file = files[new URL(req.url, 'http://127.0.0.1').pathname];
		if (!file) {
			res.writeHead(404).end();
			return;
		}
		fs.readFile(path.join(here, file[0]), (err, data) => {
			if (err) {
				res.writeHead(500).end();
				return;
			}
			res.writeHead(200, { 'Content-Type': file[1], 'Cache-Control': 'no-store' }).end(data);
		});
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

// Processes whose command line names `text`. Chromium's processes name
// their profile, which playwright makes under TMPDIR, and its crash
// handlers (which leave the process group) name HOME: both are inside the
// work directory, so this finds exactly the processes of this run.
function processesNaming(text) {
	const found = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid)
			continue;
		try {
			if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text))
				found.push(Number(entry));
		} catch {
			// The process ended while we looked.
		}
	}
	return found;
}

// Chromium's main process: playwright starts it as our only child, in a
// process group of its own.
function browserPid() {
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry))
			continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[1]) === process.pid)
				return Number(entry);
		} catch {
			// The process ended while we looked.
		}
	}
	return null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms) {
	return Promise.race([promise, sleep(ms)]);
}

let server = null;
let pageUrl = null;
let browser = null;
let workDir = null;
let ownWorkDir = false;
let chromiumPid = null;
let shuttingDown = null;
// name -> {context, page}
const uas = new Map();

async function openUa(name) {
	if (uas.has(name))
		throw new Error(`user agent "${name}" is already open`);
	const context = await browser.newContext();
	const page = await context.newPage();
	mark(`${name}: page made`);
	uas.set(name, { context, page });
	page.on('pageerror', (error) => emitFor(name, { event: 'error', reason: `page: ${error.message}` }));
	page.on('crash', () => emitFor(name, { event: 'error', reason: 'page crashed' }));
	page.on('console', (message) => talk(`${name}: console.${message.type()}: ${message.text()}`));
	await page.exposeFunction('sipwsEmit', (event) => emitFor(name, event));
	await page.goto(pageUrl, { timeout: 10000 });
	mark(`${name}: page loaded`);
	await page.waitForFunction(() => window.sipwsPeer !== undefined, null, { timeout: 10000 });
	if (options.debug)
		await page.evaluate(() => window.sipwsPeer.debug(true));
	mark(`${name}: page ready`);
}

// Unregisters (bounded) and closes the user agent's browser context.
async function closeUa(name) {
	const ua = uas.get(name);
	uas.delete(name);
	try {
		await withTimeout(ua.page.evaluate((ms) => window.sipwsPeer.stop(ms), 1500), 2000);
	} catch (error) {
		talk(`${name}: stop: ${error.message}`);
	}
	try {
		await withTimeout(ua.context.close(), 3000);
	} catch (error) {
		talk(`${name}: close: ${error.message}`);
	}
}

function shutdown(why, status) {
	if (shuttingDown)
		return shuttingDown;
	shuttingDown = (async () => {
		talk(`stopping (${why})`);
		await Promise.all([...uas.keys()].map((name) => closeUa(name)));
		let closed = !browser;
		try {
			if (browser)
				closed = await withTimeout(browser.close().then(() => true), 5000);
		} catch (error) {
			talk(`close: ${error.message}`);
		}
		if (!closed && chromiumPid) {
			// A browser that would not close goes with its process group.
			try {
				process.kill(-chromiumPid, 'SIGKILL');
			} catch {
				// Nothing left: the usual case.
			}
		}
		if (workDir) {
			// Crash handlers end on their own soon after the browser.
			let left = processesNaming(workDir);
			for (let i = 0; left.length > 0 && i < 20; i++) {
				await sleep(50);
				left = processesNaming(workDir);
			}
			for (const pid of left) {
				talk(`killing leftover process ${pid}`);
				try {
					process.kill(pid, 'SIGKILL');
				} catch {
					// Gone meanwhile.
				}
			}
			if (ownWorkDir)
				fs.rmSync(workDir, { recursive: true, force: true });
		}
		if (server)
			server.close();
		emit({ event: 'quit', reason: why });
		process.exit(status);
	})();
	return shuttingDown;
}

// The user agent a command is for: its "ua", or the only one open.
function target(command) {
	if (command.ua !== undefined)
		return command.ua;
	return uas.size === 1 ? uas.keys().next().value : undefined;
}

async function handle(line) {
	if (line.trim() === '')
		return;
	let command;
	try {
		command = JSON.parse(line);
	} catch (error) {
		emit({ event: 'error', reason: `bad command line: ${error.message}` });
		return;
	}
	if (command === null || typeof command !== 'object' || typeof command.cmd !== 'string') {
		emit({ event: 'error', reason: 'a command is a JSON object with a "cmd" string' });
		return;
	}
	const name = target(command);
	// The same order of fields as the page's events: event, id, the rest.
	const answer = (event) => {
		if (command.id !== undefined)
			event = Object.assign({ event: event.event, id: command.id }, event);
		if (name === undefined)
			emit(event);
		else
			emitFor(name, event);
	};
	const fail = (reason) => answer({ event: 'error', cmd: command.cmd, reason });

	switch (command.cmd) {
	case 'quit':
		await shutdown('quit', 0);
		return;
	case 'ping':
		answer({ event: 'pong' });
		return;
	case 'open':
		if (typeof name !== 'string' || name === '') {
			fail('open: "ua" (a name) is required');
			return;
		}
		try {
			await openUa(name);
			answer({ event: 'opened' });
		} catch (error) {
			fail(error.message);
		}
		return;
	}
	if (name === undefined || !uas.has(name)) {
		fail(name === undefined ? 'which user agent? give "ua"' : `no user agent "${name}"`);
		return;
	}
	if (command.cmd === 'close') {
		await closeUa(name);
		answer({ event: 'closed' });
		return;
	}
	if (typeof command.body_file === 'string') {
		// A body from a file, for the shell: decoded as UTF-8 like a
		// WebSocket text frame.
		try {
			command.body = fs.readFileSync(command.body_file, 'utf8');
		} catch (error) {
			fail(error.message);
			return;
		}
		delete command.body_file;
	}
	try {
		await uas.get(name).page.evaluate((c) => window.sipwsPeer.command(c), command);
	} catch (error) {
		fail(error.message);
	}
}

function commandStream() {
	if (!options.commands)
		return process.stdin;
	// Read-write: the FIFO then always has a writer (us), so shell
	// writers that open, write a line and close cause no EOF, and their
	// open never blocks while we run.
	const fd = fs.openSync(options.commands, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
	return new net.Socket({ fd, readable: true, writable: false });
}

async function main() {
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
		process.on(signal, () => shutdown(signal, 1));
	// Nothing outlives the test that started us: stop when its process
	// is gone or after the longest lifetime a test may need.
	setInterval(() => {
		try {
			process.kill(options.parentPid, 0);
		} catch {
			shutdown('parent gone', 1);
		}
	}, 500).unref();
	setTimeout(() => shutdown('max lifetime', 1), options.maxLifetime * 1000).unref();

	mark('node and playwright loaded');
	if (!fs.existsSync(path.join(here, files['/page.js'][0])))
		throw new Error('build/page.js is missing: run scripts/browser-deps.sh');
	server = await serve();
	pageUrl = `http://127.0.0.1:${server.address().port}/`;

	if (options.workDir) {
		workDir = path.resolve(options.workDir);
		fs.mkdirSync(workDir, { recursive: true });
	} else {
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipws-browser-'));
		ownWorkDir = true;
	}
	// Playwright makes Chromium's profile under os.tmpdir(), and Chromium
	// keeps crash reports under HOME: both go into the work directory.
	// Chromium's own TMPDIR stays short: its sockets live there, and a
	// socket's path has at most 107 bytes.
	const home = path.join(workDir, 'home');
	fs.mkdirSync(home, { recursive: true });
	const chromiumEnv = Object.assign({}, process.env);
	process.env.TMPDIR = workDir;
	browser = await chromium.launch({
		executablePath: options.chromium,
		headless: true,
		args: chromiumFlags.concat(options.flags),
		env: Object.assign(chromiumEnv, {
			HOME: home,
			XDG_CONFIG_HOME: path.join(home, '.config'),
			XDG_CACHE_HOME: path.join(home, '.cache'),
		}),
		handleSIGINT: false,
		handleSIGTERM: false,
		handleSIGHUP: false,
		timeout: 30000,
	});
	chromiumPid = browserPid();
	mark(`chromium ${browser.version()} started`);
	browser.on('disconnected', () => {
		if (!shuttingDown)
			shutdown('browser gone', 1);
	});
	await Promise.all(options.uas.map((name) => openUa(name)));

	emit({
		event: 'ready',
		pid: process.pid,
		browser_pid: chromiumPid,
		version: browser.version(),
		uas: options.uas,
		startup_ms: Math.round(process.uptime() * 1000),
	});

	// One command at a time, in the order written.
	const lines = readline.createInterface({ input: commandStream(), crlfDelay: Infinity });
	let queue = Promise.resolve();
	lines.on('line', (line) => {
		queue = queue.then(() => handle(line));
	});
	lines.on('close', () => {
		queue.then(() => shutdown('end of commands', 0));
	});
}

main().catch((error) => {
	emit({ event: 'error', reason: `start: ${error.message}` });
	shutdown('start failed', 1);
});
