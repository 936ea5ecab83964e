# ssbtek-validator as a container: the command is the entry point, messages are mounted at /work.
#   docker build -t ssbtek-validator .
#   docker run --rm -v "$PWD:/work" ssbtek-validator --format text captures/
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package is built from (see .dockerignore); no fuzz extra, no test tools.
COPY pyproject.toml README.md LICENSE /src/
COPY validator /src/validator
COPY xsd /src/xsd
COPY codelists /src/codelists
RUN pip install /src && rm -rf /src \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin ssbtek

USER ssbtek
WORKDIR /work
ENTRYPOINT ["ssbtek-validate"]
CMD ["--help"]
