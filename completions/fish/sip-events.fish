# fish completion for sip-events(1)
function __sip_events_topics
	set -l topics (sip-events --list-topics 2>/dev/null)
	string replace -r '/.*' '/*' -- $topics | sort -u
	printf '%s\n' $topics
end
function __sip_events_profiles
	set -l dir (set -q XDG_CONFIG_HOME; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/sipws/profiles
	test -d $dir; and ls $dir
end
complete -c sip-events -f
complete -c sip-events -s t -l topic -x -a '(__sip_events_topics)' -d 'print only events whose topic matches'
complete -c sip-events -s n -l count -x -d 'exit 0 after N events'
complete -c sip-events -s f -l format -x -a 'json text' -d 'output format'
complete -c sip-events -s r -l reject -x -a '486 480 403 603 600' -d 'answer incoming calls with CODE'
complete -c sip-events -l list-topics -d 'print the known topics'
complete -c sip-events -s s -l server -x -d 'WebSocket server URL'
complete -c sip-events -s u -l user -x -d 'account address of record'
complete -c sip-events -l auth-user -x -d 'digest user name'
complete -c sip-events -l password-stdin -d 'read the password from standard input'
complete -c sip-events -l ca-file -r -F -d 'trust the CA certificates in FILE'
complete -c sip-events -l insecure -d 'do not verify the server certificate'
complete -c sip-events -l origin -x -d 'Origin header of the WebSocket handshake'
complete -c sip-events -l timeout -x -d 'stop after SECONDS (exit 75)'
complete -c sip-events -s c -l config -r -F -d 'config file'
complete -c sip-events -s p -l profile -x -a '(__sip_events_profiles)' -d 'profile name'
complete -c sip-events -s o -l set -x -a '(sipws-config --list-keys 2>/dev/null | string replace -r \'$\' =)' -d 'set a config key'
complete -c sip-events -s v -l verbose -d 'say more'
complete -c sip-events -s q -l quiet -d 'say less'
complete -c sip-events -s h -l help -d 'show help'
complete -c sip-events -s V -l version -d 'show version'
