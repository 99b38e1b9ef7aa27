# The scripted one-connection WebSocket server of tests/helpers/ws-probe
# (ws-probe -S MODE: silent, http404, noproto, ...), for what Kamailio
# cannot be made to do. Source after test-lib.sh.
#
#   serve MODE   start it in the background; sets SRV_URL
#                (ws://127.0.0.1:PORT/), SRV_PORT and SRV_PID; its events
#                go to srv.out
serve() {
	rm -f srv.out &&
	{ "$SIPWS_BUILD/tests/helpers/ws-probe" -S "$1" >srv.out 2>&1 & } &&
	SRV_PID=$! &&
	i=0 &&
	while ! grep -q '^port ' srv.out 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.05
	done &&
	SRV_PORT=$(sed -n 's/^port //p' srv.out) &&
	SRV_URL="ws://127.0.0.1:$SRV_PORT/"
}
