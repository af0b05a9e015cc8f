#!/bin/sh
# A tiny Lambda function for the runner's tests: speaks the Runtime API with curl.
# MODE (from the template's Environment) picks the behaviour:
#   echo     answers 200 with the event itself as the (base64) body
#   sleep    sleeps SLEEP_SECONDS (default 30) before answering, to pass its Timeout
#   fail     reports every event through /error (IoT retry and dead-letter tests)
#   initfail reports an init error and exits
#   record   appends each event to RECORD_FILE and answers null
#   wedge    answers the first event, then hangs without asking for the next one
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
mode="${MODE:-echo}"
if [ "$mode" = initfail ]; then
    curl -sS -X POST "$api/init/error" -H 'Lambda-Runtime-Function-Error-Type: Runtime.InitError' \
        -d '{"errorType":"InitError","errorMessage":"missing required environment variable EXAMPLE"}' >/dev/null
    exit 1
fi
headers=$(mktemp)
event=$(mktemp)
trap 'rm -f "$headers" "$event"' EXIT
echo "script function started in mode $mode"
while :; do
    curl -sS -D "$headers" -o "$event" "$api/invocation/next" || exit 1
    id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d' ' -f2 | tr -d '\r\n')
    [ -n "$id" ] || exit 1
    case "$mode" in
    sleep)
        sleep "${SLEEP_SECONDS:-30}"
        curl -sS -X POST "$api/invocation/$id/response" -d '{"statusCode":200,"body":"late"}' >/dev/null
        ;;
    fail)
        curl -sS -X POST "$api/invocation/$id/error" -d '{"errorType":"Failure","errorMessage":"always fails"}' \
            >/dev/null
        ;;
    record)
        { cat "$event"; echo; } >>"$RECORD_FILE"
        curl -sS -X POST "$api/invocation/$id/response" -d 'null' >/dev/null
        ;;
    wedge)
        curl -sS -X POST "$api/invocation/$id/response" -d '{"statusCode":200,"body":"once"}' >/dev/null
        sleep 3600
        ;;
    *)
        body=$(base64 -w0 "$event")
        printf '{"statusCode":200,"headers":{"content-type":"application/json","x-mode":"%s"},"cookies":["a=1","b=2"],"isBase64Encoded":true,"body":"%s"}' \
            "$mode" "$body" | curl -sS -X POST "$api/invocation/$id/response" --data-binary @- >/dev/null
        ;;
    esac
done
