# The production image: gunicorn for the web, the same image for Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN useradd --create-home --uid 1000 contactcenter

COPY pyproject.toml README.md ./
COPY contactcenter ./contactcenter
COPY agents ./agents
COPY interactions ./interactions
COPY kpis ./kpis
COPY scheduling ./scheduling
COPY demo ./demo
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install -e . \
 && DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media && chown -R contactcenter /app/var

USER contactcenter
EXPOSE 8000
CMD ["gunicorn", "contactcenter.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
