#!/usr/bin/env bash
# Container entrypoint: one argument names the process; the commands mirror platform/Procfile.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each process that uses the artifact store checks it first (endpoint, bucket, keys, a write/read/delete): a broken
# store is one clear line at start, not a failed job later. ARTIFACT_S3_CREATE_BUCKET=true creates a missing bucket.
case "${1:-web}" in
  web)
    python manage.py storage_check
    python manage.py migrate --no-input
    python manage.py collectstatic --no-input -v 0
    exec python -m gunicorn config.wsgi:application -c platform/gunicorn.conf.py ;;
  worker-gpu)
    python manage.py storage_check
    exec python -m celery -A config worker -Q gpu -c "${GPU_WORKER_CONCURRENCY:-2}" --prefetch-multiplier 1 -O fair \
      --max-tasks-per-child 1 -n "gpu@${HOSTNAME}" --loglevel INFO ;;
  worker-inference)
    python manage.py storage_check
    exec $(grep '^inference:' platform/Procfile | cut -d: -f2-) ;;
  worker-default)
    python manage.py storage_check
    exec python -m celery -A config worker -Q default -c 2 -n "default@${HOSTNAME}" --loglevel INFO ;;
  beat)
    exec python -m celery -A config beat -s "${PLATFORM_VAR_DIR:-/data/var}/celerybeat-schedule" --loglevel INFO ;;
  flower)
    exec python platform/secure_flower.py -A config flower --address="${FLOWER_ADDRESS:-0.0.0.0}" --port="${FLOWER_PORT:-5555}" \
      --basic-auth="${FLOWER_BASIC_AUTH}" ;;
  *)
    exec "$@" ;;
esac
