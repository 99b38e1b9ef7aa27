# fish completion for sip-msg(1)
function __sip_msg_profiles
	set -l dir (set -q XDG_CONFIG_HOME; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/sipws/profiles
	test -d $dir; and ls $dir
end
complete -c sip-msg -f
complete -c sip-msg -s t -l to -x -d 'send to URI as well'
complete -c sip-msg -l content-type -x -a 'text/plain\;charset=UTF-8 text/html application/json' -d 'Content-Type of the body'
complete -c sip-msg -s H -l header -x -d 'add a header line'
complete -c sip-msg -l stream -d 'send each line of standard input as a message'
complete -c sip-msg -l window -x -d 'requests in flight with --stream'
complete -c sip-msg -l wait-reply -x -d 'register, send, print the first reply'
complete -c sip-msg -l json -d 'print JSON objects'
complete -c sip-msg -s s -l server -x -a 'ws:// wss://' -d 'WebSocket server'
complete -c sip-msg -s u -l user -x -d 'account address of record'
complete -c sip-msg -l auth-user -x -d 'digest user name'
complete -c sip-msg -l password-stdin -d 'read the password from standard input'
complete -c sip-msg -l ca-file -r -F -d 'trust the CA certificates in FILE'
complete -c sip-msg -l insecure -d 'do not verify the server certificate'
complete -c sip-msg -l origin -x -d 'Origin header of the WebSocket handshake'
complete -c sip-msg -l timeout -x -d 'give up after SECONDS overall'
complete -c sip-msg -s c -l config -r -F -d 'config file'
complete -c sip-msg -s p -l profile -x -a '(__sip_msg_profiles)' -d 'profile name'
complete -c sip-msg -s o -l set -x -d 'set a config key'
complete -c sip-msg -s v -l verbose -d 'say more; twice: SIP trace'
complete -c sip-msg -s q -l quiet -d 'say less'
complete -c sip-msg -s h -l help -d 'show help'
complete -c sip-msg -s V -l version -d 'show version'
