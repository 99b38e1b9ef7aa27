# fish completion for sip-parse(1)
complete -c sip-parse -f
complete -c sip-parse -n '__fish_use_subcommand' -a 'uri addr ws complete message'
complete -c sip-parse -n '__fish_seen_subcommand_from message' -F
complete -c sip-parse -s a -l account -r -d 'account URI for complete'
complete -c sip-parse -s f -l field -x -a 'scheme user password host host_type port params headers normal display tag uri secure path query type method request_uri status reason call_id cseq cseq_method from to via contact max_forwards content_type content_length body_length answer answer_reason' -d 'print only this field'
complete -c sip-parse -l lf -d 'accept bare LF line ends'
complete -c sip-parse -s c -l config -r -F -d 'config file'
complete -c sip-parse -s p -l profile -x -d 'profile name'
complete -c sip-parse -s o -l set -x -d 'set a config key'
complete -c sip-parse -s v -l verbose -d 'say more'
complete -c sip-parse -s q -l quiet -d 'say less'
complete -c sip-parse -s h -l help -d 'show help'
complete -c sip-parse -s V -l version -d 'show version'
