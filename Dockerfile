# One image for web, worker and beat. Configuration comes only from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.lock .
RUN pip install -r requirements.lock

COPY . .
# collectstatic needs settings to import; these throwaway values never reach a running container.
RUN DATABASE_URL=sqlite:////tmp/build.sqlite3 DJANGO_SECRET_KEY=build-only \
    GENOME_ENCRYPTION_KEYS=build-only DJANGO_DEBUG=false \
    python manage.py collectstatic --noinput \
 && useradd --create-home --uid 10001 genlife \
 && mkdir -p /app/.data /data/media && chown -R genlife /app/.data /data/media
USER genlife

EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py (shared with the tests' servers).
CMD ["gunicorn", "genlife.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
