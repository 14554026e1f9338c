package example;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * A fakeexports server at {@code url}: its control API (the clock, per-tenant settings) and plain HTTP calls to a
 * vendor's mount. JDK only (java.net.http); JSON fields are read with a pattern, enough for an example.
 */
public final class FakeExports {
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final String url;

    public FakeExports(String url) {
        this.url = url.replaceAll("/$", "");
    }

    public String url() {
        return url;
    }

    /** A control API call ({@code /_fakeexports/...}, JSON in and out); anything but 200 is an error. */
    public String control(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + "/_fakeexports" + path))
                .header("Accept", "application/json");
        if (json == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(json));
        }
        HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException(method + " " + path + ": " + answer.statusCode() + " " + answer.body());
        }
        return answer.body();
    }

    /** The fake clock's time, epoch seconds. */
    public double epoch() throws IOException, InterruptedException {
        return Double.parseDouble(field(control("GET", "/clock", null), "epoch"));
    }

    /** Moves the fake clock on by {@code seconds}: due jobs move, due webhooks fire. */
    public void advance(double seconds) throws IOException, InterruptedException {
        control("POST", "/clock/advance", "{\"seconds\": " + seconds + "}");
    }

    /** A request under a mount ({@code /twilio}) with HTTP Basic credentials; a form body when {@code form} is set. */
    public HttpResponse<String> basic(String user, String password, String method, String path, String form)
            throws IOException, InterruptedException {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Basic " + auth);
        if (form == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/x-www-form-urlencoded")
                    .method(method, HttpRequest.BodyPublishers.ofString(form));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A presigned link's content, fetched without credentials (the link carries its own), gunzipped. */
    public String gunzip(String link) throws IOException, InterruptedException {
        HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(URI.create(link)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException("GET " + link + ": " + answer.statusCode());
        }
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(answer.body()))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** {@code name=value&...}, URL-encoded. */
    public static String form(String... pairs) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            out.append(i == 0 ? "" : "&").append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    /** The first value of a JSON member {@code name} (a string or a number) in {@code json}. */
    public static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(?:\"([^\"]*)\"|([-0-9.eE+]+))")
                .matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    /** The UTC day {@code daysBefore} days before {@code epoch}, yyyy-MM-dd. */
    public static String day(double epoch, int daysBefore) {
        return Instant.ofEpochSecond((long) epoch).atZone(ZoneOffset.UTC).toLocalDate().minusDays(daysBefore)
                .toString();
    }
}
