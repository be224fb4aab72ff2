#!/usr/bin/env bash
# Makes TLS material for the admission webhook with the openssl CLI, for clusters
# without cert-manager and without a build of flink-autoscale-webhook (whose
# `certs` subcommand writes the same three files):
#
#   DIR/ca.crt   the CA certificate: the webhook configurations' caBundle
#   DIR/tls.crt  the serving certificate, issued by that CA for the Service's DNS names
#   DIR/tls.key  its private key (PKCS#8 PEM)
#
# plus DIR/ca.key, the CA's key, needed only to issue the next serving certificate:
# keep it out of the cluster.
#
# Usage: certs/gen-certs.sh [--service NAME] [--namespace NS] [--out DIR] [--days N]
#                           [--cluster-domain DOMAIN]
# Defaults fit `make webhook/install`: service flink-autoscale-webhook, namespace
# flink-autoscale-system, out certs/out, 365 days, cluster.local.
set -euo pipefail

service=flink-autoscale-webhook
namespace=flink-autoscale-system
out="$(dirname "$0")/out"
days=365
domain=cluster.local

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --service) service="$2"; shift 2 ;;
    --namespace) namespace="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --cluster-domain) domain="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

if ! command -v openssl >/dev/null 2>&1; then
  echo "error: openssl is not installed; install it, or use: flink-autoscale-webhook certs --service $service --namespace $namespace --out $out" >&2
  exit 2
fi

mkdir -p "$out"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dns="DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.$domain"

echo "== CA: $out/ca.crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" \
  -subj "/CN=$service-ca" -out "$out/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"

echo "== serving certificate: $out/tls.crt for $dns"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/tls.key"
openssl req -new -key "$out/tls.key" -subj "/CN=$service.$namespace.svc" -out "$work/tls.csr"
cat > "$work/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$dns
EXT
openssl x509 -req -in "$work/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -sha256 -days "$days" -extfile "$work/ext.cnf" -out "$out/tls.crt"
rm -f "$out/ca.srl"
chmod 0644 "$out/ca.crt" "$out/tls.crt"

openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null
echo "== done; install the webhook with:"
echo "helm upgrade --install $service charts/flink-autoscale-webhook -n $namespace --create-namespace \\"
echo "  --set certManager.enabled=false \\"
echo "  --set-file tls.crt=$out/tls.crt --set-file tls.key=$out/tls.key --set-file caBundle=$out/ca.crt"
