#!/usr/bin/env bash
# Benchmarks the CloudTrail scan: a synthetic trail (real record format, gzip, CloudTrail's key
# layout) of REGIONS x DAYS files of RECORDS records each, served by moto, read by
# `connector-audit audit --cloudtrail-bucket trail --lookback-days DAYS` under /usr/bin/time
# (wall, peak RSS). The file body is generated once (Python, from the venv) and uploaded for
# every day and region. Like real trails it holds refused deletes (2% of the records carry
# `errorCode` AccessDenied) and records with null fields (`resources: null`, 1%); stray
# objects sit beside the log files (a folder marker and a note in every day's folder, a
# `_CloudTrail-Digest/` folder where a region would be). Prints a Markdown section for
# BENCHMARKS.md.
# Environment: BENCH_TRAIL_DAYS (default 90), BENCH_TRAIL_REGIONS (default 2),
# BENCH_TRAIL_RECORDS (records per file, default 50000).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
days="${BENCH_TRAIL_DAYS:-90}"
regions="${BENCH_TRAIL_REGIONS:-2}"
records="${BENCH_TRAIL_RECORDS:-50000}"

cargo build --locked --release --bin connector-audit >&2
work=$(mktemp -d)
trap 'stop_moto; rm -rf "$work"' EXIT
start_moto
"$VENV/bin/python" - "$days" "$regions" "$records" "$work/sizes" <<'PY'
import datetime, gzip, io, json, os, random, sys
import boto3
days, regions, records, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
kw = dict(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)
acct = "123456789012"
for i in range(20):
    iam.create_role(RoleName=f"connector-{i}", Tags=[{"Key": "connector", "Value": "x"}, {"Key": "connector-access", "Value": "full"}],
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::428641199958:root"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "k7Qp2vX9mL4sR8tW"}}}]}))
    iam.put_role_policy(RoleName=f"connector-{i}", PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::exports/*"}]}))
s3.create_bucket(Bucket="trail")
rnd = random.Random(42)
names = ["GetObject"] * 70 + ["PutObject"] * 25 + ["DeleteObject"] * 5
recs = []
for n in range(records):
    role = f"connector-{rnd.randrange(20)}"
    rec = {"eventVersion": "1.10", "userIdentity": {"type": "AssumedRole", "principalId": f"AROAEXAMPLE{n % 97}:s",
        "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/s{n % 13}", "accountId": acct,
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": f"arn:aws:iam::{acct}:role/{role}",
            "accountId": acct, "userName": role}, "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"}}},
        "eventTime": f"2026-01-01T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}Z", "eventSource": "s3.amazonaws.com",
        "eventName": rnd.choice(names), "awsRegion": "us-east-1", "sourceIPAddress": f"203.0.113.{n % 250}",
        "userAgent": "[aws-sdk-java/2.25.0]", "requestParameters": {"bucketName": "exports", "Host": "exports.s3.amazonaws.com",
            "key": f"exports/{rnd.getrandbits(64):016x}.parquet"},
        "responseElements": None, "additionalEventData": {"bytesTransferredIn": rnd.randrange(1 << 20), "x-amz-id-2": f"{rnd.getrandbits(128):032x}"},
        "requestID": f"{rnd.getrandbits(64):016X}", "eventID": f"{rnd.getrandbits(128):032x}", "readOnly": False,
        "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::exports/x"}, {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::exports"}],
        "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": acct, "eventCategory": "Data"}
    draw = rnd.random()
    if draw < 0.02:
        rec.update(eventName="DeleteObject", errorCode="AccessDenied", errorMessage="Access Denied")
    elif draw < 0.03:
        rec["resources"] = None
    recs.append(rec)
raw = json.dumps({"Records": recs}).encode()
body = gzip.compress(raw, 6)
today = datetime.datetime.now(datetime.timezone.utc).date()
region_names = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"][:regions]
base = f"AWSLogs/{acct}/CloudTrail/"
s3.put_object(Bucket="trail", Key=f"{base}_CloudTrail-Digest/{acct}_CloudTrail-Digest_us-east-1_bench_us-east-1_20260101T0000Z.json.gz", Body=b"{}")
for back in range(days):
    d = today - datetime.timedelta(days=back)
    for r in region_names:
        day = f"{base}{r}/{d:%Y/%m/%d}/"
        s3.put_object(Bucket="trail", Key=f"{day}{acct}_CloudTrail_{r}_{d:%Y%m%d}T0000Z_Mu0KsOhtH1ar15ZZ.json.gz", Body=body)
        s3.put_object(Bucket="trail", Key=day, Body=b"")
        s3.put_object(Bucket="trail", Key=f"{day}README.txt", Body=b"copied by hand")
open(out, "w").write(f"{len(body)} {len(raw)}\n")
PY
read -r gz raw <"$work/sizes"
files=$((days * regions))
/usr/bin/time -f '%e %M' -o "$work/time" "$TARGET/release/connector-audit" audit --format json --fail-on critical \
    --cloudtrail-bucket trail --lookback-days "$days" >"$work/report.json" || [ $? -eq 1 ]
read -r wall rss < <(tail -1 "$work/time")
read -r scanned coverage denied skipped < <(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["usage"]; print(u["events_scanned"], u["coverage"], u.get("denied_deletes", "n/a"), u.get("objects_skipped", "n/a"))' "$work/report.json")
echo "### $(date -u '+%Y-%m-%d %H:%M UTC'): CloudTrail scan against moto"
echo
echo "- System: \`$(uname -srm)\`, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "- moto $("$VENV/bin/pip" show moto 2>/dev/null | awk '/^Version/{print $2}') server on loopback; release build"
echo "- Trail: $regions region(s) x $days day(s) = $files files of $records records; $gz bytes compressed, $raw bytes of JSON per file"
echo "- Refused deletes read: $denied; stray objects and folders skipped: $skipped"
echo "- Command: \`connector-audit audit --cloudtrail-bucket trail --lookback-days $days --format json\` (20 connector roles)"
echo
echo "| Files | Records scanned | Compressed MB | Wall (s) | Records/s | Compressed MB/s | Peak RSS (MiB) | Coverage |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
awk -v f="$files" -v n="$scanned" -v gz="$gz" -v w="$wall" -v rss="$rss" -v c="$coverage" 'BEGIN {
    mb = f * gz / 1e6; printf "| %d | %d | %.1f | %.2f | %.0f | %.1f | %.1f | %s |\n", f, n, mb, w, n / w, mb / w, rss / 1024, c }'
