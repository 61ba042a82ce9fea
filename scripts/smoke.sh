#!/usr/bin/env bash
# Drives a running server with curl the way a client would: create a hold, read it, confirm it,
# try to cancel the sold reservation (409), race for a taken seat (409), cancel another hold, and
# check availability adds up. Exits non-zero on any surprise.
#
# usage: scripts/smoke.sh [base-url]   (default http://localhost:8010; the server runs with --demo)
set -euo pipefail
base=${1:-http://localhost:8010}
event=evt_2025_1001
user="smoke-$RANDOM$RANDOM"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "smoke: $*" >&2; exit 1; }

# call METHOD PATH [JSON] [extra curl args...] -> status in $status, body in $body
call() {
    local method=$1 path=$2 json=${3:-}
    shift $(( $# >= 3 ? 3 : $# ))
    local args=(-s -o "$work/body" -w '%{http_code}' -X "$method" -H "X-User-Id: $user" "$@")
    [ -n "$json" ] && args+=(-H 'Content-Type: application/json' --data-raw "$json")
    status=$(curl "${args[@]}" "$base$path")
    body=$(cat "$work/body")
}
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]); [v:=v[k] for k in sys.argv[2].split(".")]; print(v)' "$body" "$1"; }
expect() { [ "$status" = "$1" ] || fail "$2: expected HTTP $1, got $status: $body"; }

for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/actuator/health/readiness")" = 200 ] && break
    sleep 0.1
done

call GET "/v1/events/$event/availability"
expect 200 "availability"
before=$(field available)

# Pick two free seats through the seat listing, then hold them explicitly.
call GET "/v1/events/$event/seats?status=AVAILABLE&limit=2"
expect 200 "seat listing"
seats=$(python3 -c 'import json,sys; print(",".join(json.dumps(s["seatId"]) for s in json.loads(sys.argv[1])["seats"]))' "$body")
[ -n "$seats" ] || fail "no free seats left in $event"
call POST /v1/reservations "{\"eventId\":\"$event\",\"quantity\":2,\"seatIds\":[$seats],\"reservationToken\":\"rtkn_smoke\"}" -H "Idempotency-Key: $user-1"
expect 201 "create"
id=$(field reservationId)
[ "$(field status)" = HOLD ] || fail "create: status $(field status)"
[ "$(field reservationToken)" = rtkn_smoke ] || fail "create: token not echoed"

call GET "/v1/reservations/$id"
expect 200 "get"
[ "$(field status)" = HOLD ] || fail "get: status $(field status)"

# The same seats cannot be held twice.
call POST /v1/reservations "{\"eventId\":\"$event\",\"quantity\":2,\"seatIds\":[$seats]}" -H "Idempotency-Key: $user-2"
expect 409 "second hold of the same seats"
[ "$(field error.code)" = SEAT_UNAVAILABLE ] || fail "conflict code $(field error.code)"

call POST /v1/reservations/confirm "{\"reservationId\":\"$id\",\"paymentIntentId\":\"pay_smoke\"}"
expect 200 "confirm"
[ "$(field status)" = CONFIRMED ] || fail "confirm: status"
order=$(field orderId)
[ -n "$order" ] || fail "confirm: no order id"

call POST "/v1/reservations/$id/cancel"
expect 409 "cancel after confirm"
[ "$(field error.code)" = RESERVATION_ALREADY_CONFIRMED ] || fail "cancel-after-confirm code $(field error.code)"

# A best-available hold, cancelled through the body form.
call POST /v1/reservations "{\"eventId\":\"$event\",\"quantity\":1}" -H "Idempotency-Key: $user-3"
expect 201 "best-available create"
other=$(field reservationId)
call POST /v1/reservations/cancel "{\"reservationId\":\"$other\"}"
expect 200 "cancel"
[ "$(field status)" = CANCELLED ] || fail "cancel: status"

# Someone else cannot see the reservation.
status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-User-Id: someone-else" "$base/v1/reservations/$id")
[ "$status" = 404 ] || fail "another caller saw the reservation ($status)"

call GET "/v1/events/$event/availability"
expect 200 "availability after"
[ "$(field available)" = $((before - 2)) ] || fail "available: expected $((before - 2)), got $(field available)"
total=$(field totalSeats)
sum=$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]); print(v["available"]+v["held"]+v["sold"])' "$body")
[ "$sum" = "$total" ] || fail "available + held + sold = $sum, total $total"
echo "smoke: ok (reservation $id, order $order)"
