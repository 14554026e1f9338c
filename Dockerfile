# fakeexports as a local stand-in: docker build -t fakeexports . && docker run -p 8080:8080 fakeexports
FROM python:3.11-slim

WORKDIR /src
COPY pyproject.toml README.md ./
COPY fakeexports ./fakeexports
COPY specs ./specs
COPY fixtures ./fixtures
# The wheel carries specs/ and fixtures/ inside the package (fakeexports/_data/).
RUN pip install --no-cache-dir . && rm -rf /src

WORKDIR /
ENV FAKEEXPORTS_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["fakeexports", "health"]
CMD ["fakeexports", "serve", "--host", "0.0.0.0"]
