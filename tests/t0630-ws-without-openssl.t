#!/bin/sh
test_description='over ws:// the one-off tools do not initialise OpenSSL:
tags, branches, Call-IDs, cnonces and the instance id come from
getrandom(2), and TLS is set up only for a wss:// server. An OpenSSL
configuration that makes its initialisation fail (a provider that cannot
load, with config_diagnostics) stops openssl(1) and a wss:// run, and
must not stop a ws:// registration or MESSAGE with digest authentication.'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

command -v openssl >/dev/null 2>&1 || test_skip_all 'openssl(1) is missing'

kamailio_start

# The account from the environment layer of sipws.conf(5).
SIPWS_WEBSOCKET_SERVERS=$KAM_WS_URL
SIPWS_USER_URI=sip:alice@127.0.0.1
SIPWS_USER_SIP_AUTH_PASSWORD=$KAM_ALICE_PASSWORD
export SIPWS_WEBSOCKET_SERVERS SIPWS_USER_URI SIPWS_USER_SIP_AUTH_PASSWORD

cat >broken-openssl.cnf <<\EOF
config_diagnostics = 1
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
no_such_provider = no_such_provider_sect
[no_such_provider_sect]
activate = 1
EOF

normalize() {
	sed -E -e 's/sip:[0-9a-z]+@[0-9a-z]+\.invalid/sip:RANDOM@RANDOM.invalid/g' \
		-e 's/ [0-9]+\.[0-9]$/ N/' "$1"
}

test_expect_success 'the broken configuration stops OpenSSL (openssl rand)' '
	test_expect_code 1 env OPENSSL_CONF="$PWD/broken-openssl.cnf" \
		openssl rand -hex 4 >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "unable to fetch drbg" err
'

test_expect_success 'and a wss:// run, which needs TLS (exit 77)' '
	test_expect_code 77 env OPENSSL_CONF="$PWD/broken-openssl.cnf" \
		sip-register -s "$KAM_WSS_URL" --ca-file "$KAM_CA" >out 2>err &&
	test_cmp /dev/null out
'

test_expect_success 'sip-register over ws:// with it: a new instance id, digest, 200' '
	rm -rf "$XDG_STATE_HOME/sipws" &&
	OPENSSL_CONF="$PWD/broken-openssl.cnf" sip-register >out 2>err &&
	normalize out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err &&
	grep -E "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\$" \
		"$XDG_STATE_HOME/sipws/default/instance-id"
'

test_expect_success 'sip-msg over ws:// with it: digest (qop=auth cnonce), 480 for an absent user' '
	test_expect_code 3 env OPENSSL_CONF="$PWD/broken-openssl.cnf" \
		sip-msg carol hello >out 2>err &&
	normalize out >actual &&
	echo "sip:carol@127.0.0.1 480 Temporarily Unavailable N" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err
'

test_expect_success 'sip-register --unregister over ws:// with it' '
	OPENSSL_CONF="$PWD/broken-openssl.cnf" sip-register --unregister >out 2>err &&
	test_cmp /dev/null err &&
	kamailio_wait_contacts alice 0
'

test_done
