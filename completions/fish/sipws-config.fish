# fish completion for sipws-config(1)
function __sipws_config_keys
	sipws-config --list-keys 2>/dev/null
end
function __sipws_config_profiles
	set -l dir (set -q XDG_CONFIG_HOME; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/sipws/profiles
	test -d $dir; and ls $dir
end
complete -c sipws-config -f
complete -c sipws-config -a '(__sipws_config_keys)' -d 'configuration key'
complete -c sipws-config -l get -x -a '(__sipws_config_keys)' -d 'print only the value of KEY'
complete -c sipws-config -l check -d 'only check the configuration'
complete -c sipws-config -l show-origin -d 'add where each value comes from'
complete -c sipws-config -l json -d 'print one JSON object per key'
complete -c sipws-config -l list-keys -d 'print every known key'
complete -c sipws-config -s c -l config -r -F -d 'config file'
complete -c sipws-config -s p -l profile -x -a '(__sipws_config_profiles)' -d 'profile name'
complete -c sipws-config -s o -l set -x -a '(__sipws_config_keys | string replace -r \'$\' =)' -d 'set a config key'
complete -c sipws-config -s v -l verbose -d 'say more'
complete -c sipws-config -s q -l quiet -d 'say less'
complete -c sipws-config -s h -l help -d 'show help'
complete -c sipws-config -s V -l version -d 'show version'
