# fish completion for webrtc-check(1)
function __webrtc_check_profiles
	set -l dir (set -q XDG_CONFIG_HOME; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/sipws/profiles
	test -d $dir; and ls $dir
end
complete -c webrtc-check -f
complete -c webrtc-check -l suite -x -a '(webrtc-check --list-suites 2>/dev/null)' -d 'run only these suites'
complete -c webrtc-check -l stun -x -a 'stun: stuns:' -d 'STUN server'
complete -c webrtc-check -l turn -x -a 'turn: turns:' -d 'TURN server with the SIP credentials'
complete -c webrtc-check -l ice-address -x -d 'gather host candidates only on ADDRESS'
complete -c webrtc-check -s s -l server -x -a 'ws:// wss://' -d 'WebSocket server'
complete -c webrtc-check -l auth-user -x -d 'user name for TURN servers without one'
complete -c webrtc-check -l password-stdin -d 'read the password from standard input'
complete -c webrtc-check -l ca-file -r -F -d 'trust the CA certificates in FILE'
complete -c webrtc-check -l insecure -d 'do not verify certificates'
complete -c webrtc-check -l origin -x -d 'Origin header of the WebSocket handshake'
complete -c webrtc-check -l audio-device -x -d 'microphone to capture from'
complete -c webrtc-check -l video-device -x -d 'camera to capture from'
complete -c webrtc-check -l output-device -x -d 'audio output for --play-tone'
complete -c webrtc-check -l play-tone -d 'speakers: play a 1 s 440 Hz tone'
complete -c webrtc-check -l timeout -x -d 'give each network step SECONDS'
complete -c webrtc-check -l tap -d 'write a TAP stream'
complete -c webrtc-check -l json -d 'write one JSON document'
complete -c webrtc-check -l nagios -d 'write one Nagios status line'
complete -c webrtc-check -l list-suites -d 'print the name of every suite'
complete -c webrtc-check -s c -l config -r -F -d 'config file'
complete -c webrtc-check -s p -l profile -x -a '(__webrtc_check_profiles)' -d 'profile name'
complete -c webrtc-check -s o -l set -x -d 'set a config key'
complete -c webrtc-check -s v -l verbose -d 'say more'
complete -c webrtc-check -s q -l quiet -d 'say less'
complete -c webrtc-check -s h -l help -d 'show help'
complete -c webrtc-check -s V -l version -d 'show version'
