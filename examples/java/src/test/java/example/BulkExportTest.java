package example;

import static example.FakeExports.day;
import static example.FakeExports.field;
import static example.FakeExports.form;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * A Twilio Bulk Export against fakeexports in a container: create a job, advance the fake's virtual clock through
 * the control API until its days are exported, fetch a day (a 307 whose body carries the link) and read the file.
 * The image is the repository's Dockerfile built as {@code fakeexports}.
 */
@Testcontainers
class BulkExportTest {
    @Container
    static final GenericContainer<?> FAKE = new GenericContainer<>(DockerImageName.parse("fakeexports"))
            .withExposedPorts(8080)
            .withCommand("fakeexports", "serve", "--host", "0.0.0.0", "--clock", "virtual", "--strict")
            .waitingFor(Wait.forHttp("/_fakeexports/health").forStatusCode(200));

    static final String ACCOUNT = "AC0123456789abcdef0123456789abcdef";
    static final String TOKEN = "any-auth-token";

    FakeExports fake;

    @BeforeEach
    void reset() throws Exception {
        fake = new FakeExports("http://" + FAKE.getHost() + ":" + FAKE.getMappedPort(8080));
        // every tenant's state dropped and the virtual clock back at its start
        fake.control("POST", "/reset", "{\"clock\": true}");
        // 40 records a day for this account: no day ends CompletedEmptyRecords (those are not listed, as on Twilio)
        fake.control("POST", "/tenants/twilio/" + ACCOUNT, "{\"records_per_day\": 40}");
    }

    @Test
    void aBulkExportRunsOnTheFakesClock() throws Exception {
        // create: two whole days that ended at least two days before the fake's "today"
        double now = fake.epoch();
        String first = day(now, 4), last = day(now, 3);
        HttpResponse<String> created = fake.basic(ACCOUNT, TOKEN, "POST", "/twilio/v1/Exports/Messages/Jobs",
                form("StartDay", first, "EndDay", last, "FriendlyName", "from java"));
        assertEquals(201, created.statusCode(), created.body());
        String job = field(created.body(), "job_sid");

        // advance the virtual clock 30 s at a time until both days are listed
        String days = "";
        for (int step = 0; step < 100 && !(days.contains(first) && days.contains(last)); step++) {
            fake.advance(30);
            days = fake.basic(ACCOUNT, TOKEN, "GET", "/twilio/v1/Exports/Messages/Days", null).body();
        }
        assertTrue(days.contains(first) && days.contains(last), days);
        String status = fake.basic(ACCOUNT, TOKEN, "GET", "/twilio/v1/Exports/Jobs/" + job, null).body();
        assertEquals("Completed", field(status, "status"), status);

        // fetch a day: 307, the link in the body's redirect_to; the file is gzipped JSON lines
        HttpResponse<String> fetched =
                fake.basic(ACCOUNT, TOKEN, "GET", "/twilio/v1/Exports/Messages/Days/" + first, null);
        assertEquals(307, fetched.statusCode(), fetched.body());
        String[] lines = fake.gunzip(field(fetched.body(), "redirect_to")).strip().split("\n");
        assertEquals(40, lines.length);
        assertEquals(ACCOUNT, field(lines[0], "account_sid"));
    }
}
