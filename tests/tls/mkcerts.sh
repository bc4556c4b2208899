#!/bin/sh
# mkcerts.sh DIR: the certificates the TLS tests use, made with the openssl
# CLI into DIR (created; files there are overwritten).  Nothing in the tree
# holds a private key: every test run makes its own.
#
#   ca.pem ca.key                 the test CA every good certificate chains to
#   server.pem server.key         signed by ca: DNS:localhost,
#                                 DNS:tls.example.test (a domain the DNS test
#                                 serves, not its SRV target), IP:127.0.0.1,
#                                 IP:::1, URI:sip:localhost,
#                                 URI:sip:tls.example.test (RFC 5922 §7.1: with
#                                 URI entries, only they count)
#   server2.pem server2.key       another server certificate of the same names
#                                 (serial 2, CN "sipuad test server 2"): the reload test
#   client.pem client.key         signed by ca, for mutual TLS (CN "sipuad test client")
#   expired.pem expired.key       signed by ca, the names of server, expired in 2021
#   wrongname.pem wrongname.key   signed by ca, for DNS:wrong.example only
#   cnonly.pem cnonly.key         signed by ca, CN=localhost and no subjectAltName
#   cnsan.pem cnsan.key           signed by ca, CN=localhost but subjectAltName
#                                 DNS:elsewhere.example (the CN does not count)
#   selfsigned.pem selfsigned.key the names of server, signed by itself (untrusted)
#   other-ca.pem                  a CA nothing here chains to
# Keys are mode 0600.  EC P-256 keys: fast to make and to use.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077
names="DNS:localhost,DNS:tls.example.test,IP:127.0.0.1,IP:::1,URI:sip:localhost,URI:sip:tls.example.test"

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

# leaf NAME CN SAN [x509 options...]: NAME.pem signed by the test CA.
leaf() {
	n=$1 cn=$2 san=$3
	shift 3
	key "$n"
	openssl req -new -key "$n.key" -subj "/O=sipuad tests/CN=$cn" -out "$n.csr"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=serverAuth,clientAuth"
		[ -n "$san" ] && echo "subjectAltName=$san"
	} >"$n.ext"
	openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -extfile "$n.ext" "$@" \
		-out "$n.pem" 2>/dev/null
	rm -f "$n.csr" "$n.ext"
}

key ca
openssl req -x509 -new -key ca.key -subj "/O=sipuad tests/CN=sipuad test CA" -days 3650 \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out ca.pem
key other-ca
openssl req -x509 -new -key other-ca.key -subj "/O=elsewhere/CN=another CA" -days 3650 \
	-addext "basicConstraints=critical,CA:TRUE" -out other-ca.pem
rm -f other-ca.key

leaf server "sipuad test server" "$names" -days 3650 -set_serial 1
leaf server2 "sipuad test server 2" "$names" -days 3650 -set_serial 2
leaf client "sipuad test client" "" -days 3650 -set_serial 3
leaf wrongname "wrong.example" "DNS:wrong.example" -days 3650 -set_serial 4
leaf cnonly "localhost" "" -days 3650 -set_serial 5
leaf cnsan "localhost" "DNS:elsewhere.example" -days 3650 -set_serial 6

# Expired: openssl x509 -req cannot date a certificate in the past, openssl ca can.
key expired
openssl req -new -key expired.key -subj "/O=sipuad tests/CN=sipuad expired server" -out expired.csr
mkdir -p ca.db
: >ca.db/index.txt
echo 10 >ca.db/serial
cat >ca.db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
organizationName = optional
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = $names
CNF
openssl ca -batch -config ca.db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
	-startdate 20200101000000Z -enddate 20210101000000Z -out expired.pem 2>/dev/null
rm -rf ca.db expired.csr

key selfsigned
openssl req -x509 -new -key selfsigned.key -subj "/O=sipuad tests/CN=localhost" -days 3650 \
	-addext "subjectAltName=$names" -out selfsigned.pem
chmod 600 ./*.key
