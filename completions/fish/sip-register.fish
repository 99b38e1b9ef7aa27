# fish completion for sip-register(1)
function __sip_register_profiles
	set -l dir (set -q XDG_CONFIG_HOME; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/sipws/profiles
	test -d $dir; and ls $dir
end
complete -c sip-register -f
complete -c sip-register -l expires -x -d 'ask for SECONDS of registration'
complete -c sip-register -l stay -d 'stay registered until a signal, then unregister'
complete -c sip-register -l query -d 'only list the bindings'
complete -c sip-register -l unregister -d 'remove our binding'
complete -c sip-register -l unregister-all -d 'remove every binding of the account'
complete -c sip-register -l check -d 'register, time it, unregister, print a status line'
complete -c sip-register -l nagios -d 'with --check: Nagios plugin output and status'
complete -c sip-register -l warning -x -d 'with --check: warning above MS milliseconds'
complete -c sip-register -l critical -x -d 'with --check: critical above MS milliseconds'
complete -c sip-register -l json -d 'print JSON objects'
complete -c sip-register -s s -l server -x -a 'ws:// wss://' -d 'WebSocket server'
complete -c sip-register -s u -l user -x -d 'account address of record'
complete -c sip-register -l auth-user -x -d 'digest user name'
complete -c sip-register -l password-stdin -d 'read the password from standard input'
complete -c sip-register -l ca-file -r -F -d 'trust the CA certificates in FILE'
complete -c sip-register -l insecure -d 'do not verify the server certificate'
complete -c sip-register -l origin -x -d 'Origin header of the WebSocket handshake'
complete -c sip-register -l timeout -x -d 'give up after SECONDS overall'
complete -c sip-register -s c -l config -r -F -d 'config file'
complete -c sip-register -s p -l profile -x -a '(__sip_register_profiles)' -d 'profile name'
complete -c sip-register -s o -l set -x -d 'set a config key'
complete -c sip-register -s v -l verbose -d 'say more; twice: SIP trace'
complete -c sip-register -s q -l quiet -d 'say less'
complete -c sip-register -s h -l help -d 'show help'
complete -c sip-register -s V -l version -d 'show version'
