package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Rate limits enforced over real loopback HTTP, with the limiters on a manual clock. */
class RateLimitIT {
    private static final Instant NEW_YEAR = Instant.parse("2026-01-01T00:00:00Z");
    private static final long NEW_YEAR_SECONDS = NEW_YEAR.getEpochSecond();

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    @Test
    void tokenBucketAllowsTheBurstThenTheRate() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: api
                    rules:
                      - name: bucket
                        limits: [{requests: 5, period: 1s, burst: 10}]
                """, NEW_YEAR));

        assertThat(fixture.statuses(11, "/")).isEqualTo("200 200 200 200 200 200 200 200 200 200 429");
        fixture.clock.advance(Duration.ofMillis(200));
        assertThat(fixture.statuses(2, "/")).isEqualTo("200 429");
        fixture.clock.advance(Duration.ofSeconds(1));
        assertThat(fixture.statuses(6, "/")).isEqualTo("200 200 200 200 200 429");
    }

    @Test
    void slidingWindowCountsThePreviousWindowByItsOverlap() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: api
                    rules:
                      - name: window
                        algorithm: SlidingWindow
                        limits: [{requests: 4, period: 1s}]
                """, NEW_YEAR));

        assertThat(fixture.statuses(5, "/")).isEqualTo("200 200 200 200 429");
        HttpResponse<String> refused = fixture.get("/");
        // 1.25 s: into the next window far enough that 3 of the previous 4 have slid out.
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("2");
        fixture.clock.advance(Duration.ofMillis(1250));
        assertThat(fixture.statuses(2, "/")).isEqualTo("200 429");
        fixture.clock.advance(Duration.ofSeconds(2));
        assertThat(fixture.statuses(5, "/")).isEqualTo("200 200 200 200 429");
    }

    @Test
    void fixedWindowDailyQuotaResetsAtMidnightInItsTimeZone() throws Exception {
        // 22:59:30 UTC is 23:59:30 in Paris in January.
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: api
                    rules:
                      - name: daily
                        algorithm: FixedWindow
                        timeZone: Europe/Paris
                        limits: [{requests: 3, period: 1d}]
                """, Instant.parse("2026-01-15T22:59:30Z")));

        assertThat(fixture.statuses(3, "/")).isEqualTo("200 200 200");
        HttpResponse<String> refused = fixture.get("/");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
        assertThat(refused.headers().firstValue("X-RateLimit-Reset")).hasValue(String.valueOf(Instant.parse("2026-01-15T23:00:00Z").getEpochSecond()));
        fixture.clock.advance(Duration.ofSeconds(30));
        assertThat(fixture.statuses(4, "/")).isEqualTo("200 200 200 429");
    }

    @Test
    void multiLevelRulesMustAllAllowAndRefusalsCostNothing() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                trustedProxies: [127.0.0.1/32]
                policies:
                  - name: shop
                    rules:
                      - name: global
                        limits: [{requests: 100, period: 1h}]
                      - name: search
                        match: {path: {prefix: /search}}
                        key: [{type: Route}]
                        limits: [{requests: 4, period: 1h}]
                      - name: per-client
                        key: [{type: ClientIP}]
                        limits: [{requests: 3, period: 1h}]
                """, NEW_YEAR));

        assertThat(fixture.statuses(4, "/items", "X-Forwarded-For", "203.0.113.1")).isEqualTo("200 200 200 429");
        assertThat(fixture.statuses(2, "/search?q=a", "X-Forwarded-For", "203.0.113.2")).isEqualTo("200 200");
        assertThat(fixture.statuses(2, "/search?q=b", "X-Forwarded-For", "203.0.113.3")).isEqualTo("200 200");
        HttpResponse<String> endpointFull = fixture.get("/search?q=c", "X-Forwarded-For", "203.0.113.4");
        assertThat(endpointFull.statusCode()).isEqualTo(429);
        assertThat(json(endpointFull).path("rule").asText()).isEqualTo("search");
        // A 429 describes the limit that refused, not the global one that allowed and was given back.
        assertThat(endpointFull.headers().firstValue("RateLimit-Policy")).hasValue("\"search-1h\";q=4;w=3600");
        assertThat(endpointFull.headers().firstValue("RateLimit")).hasValue("\"search-1h\";r=0;t=3600");

        // 7 passed; the two refusals gave back what the global rule had taken for them.
        HttpResponse<String> next = fixture.get("/items", "X-Forwarded-For", "203.0.113.5");
        assertThat(next.headers().firstValue("RateLimit").orElseThrow()).contains("\"global-1h\";r=92;");

        assertThat(fixture.metric("rate_limit_requests_total{limit_type=\"global\",policy=\"shop\",rule=\"global\"}")).isEqualTo(10);
        assertThat(fixture.metric("rate_limit_rejected_total{limit_type=\"client\",policy=\"shop\",rule=\"per-client\"}")).isEqualTo(1);
        assertThat(fixture.metric("rate_limit_rejected_total{limit_type=\"endpoint\",policy=\"shop\",rule=\"search\"}")).isEqualTo(1);
    }

    @Test
    void aForgedForwardedForLineCannotEscapeTheClientLimit() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                trustedProxies: [127.0.0.1/32]
                policies:
                  - name: api
                    rules:
                      - name: per-client
                        key: [{type: ClientIP}]
                        limits: [{requests: 2, period: 1h}]
                """, NEW_YEAR));

        // The client forges a new first line each time; the trusted proxy (this test, on 127.0.0.1)
        // adds its own line with the address it saw, as HAProxy does.
        StringBuilder statuses = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> response = fixture.get("/", "X-Forwarded-For", "198.51.100." + i, "X-Forwarded-For", "203.0.113.50");
            statuses.append(i == 1 ? "" : " ").append(response.statusCode());
        }
        assertThat(statuses).hasToString("200 200 429");
    }

    @Test
    void tiersChooseTheLimitsByHeader() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: plans
                    rules:
                      - name: by-plan
                        key: [{type: Header, header: X-Api-Key}]
                        tiers:
                          header: X-Plan
                          default: free
                          values:
                            - {name: free, limits: [{requests: 1, period: 1m}]}
                            - {name: premium, limits: [{requests: 3, period: 1m}]}
                """, NEW_YEAR));

        assertThat(fixture.statuses(4, "/", "X-Api-Key", "k1", "X-Plan", "premium")).isEqualTo("200 200 200 429");
        assertThat(fixture.statuses(2, "/", "X-Api-Key", "k2", "X-Plan", "free")).isEqualTo("200 429");
        assertThat(fixture.statuses(2, "/", "X-Api-Key", "k3", "X-Plan", "made-up")).isEqualTo("200 429");
        HttpResponse<String> premium = fixture.get("/", "X-Api-Key", "k4", "X-Plan", "premium");
        assertThat(premium.headers().firstValue("RateLimit-Policy")).hasValue("\"by-plan-premium-1m\";q=3;w=60");
    }

    @Test
    void shadowModeNeverRejectsAndCountsWhatItWouldHave() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: candidate
                    mode: Shadow
                    rules:
                      - name: strict
                        limits: [{requests: 3, period: 1h}]
                """, NEW_YEAR));

        assertThat(fixture.statuses(5, "/")).isEqualTo("200 200 200 200 200");
        assertThat(fixture.get("/").headers().firstValue("RateLimit")).isEmpty();
        assertThat(fixture.metric("rate_limit_shadow_rejected_total{limit_type=\"global\",policy=\"candidate\",rule=\"strict\"}")).isEqualTo(3);
        assertThat(fixture.metric("rate_limit_rejected_total{limit_type=\"global\",policy=\"candidate\",rule=\"strict\"}")).isZero();
    }

    @Test
    void everyRateLimitFieldHasItsValue() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: api
                    rules:
                      - name: per-client
                        key: [{type: ClientIP}]
                        limits:
                          - {name: burst, requests: 10, period: 1s, burst: 20}
                          - {name: hourly, requests: 1000, period: 1h}
                """, NEW_YEAR));

        HttpResponse<String> first = fixture.get("/");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue("\"burst\";q=10;w=1, \"hourly\";q=1000;w=3600");
        // Full again in 0.1 s (one token at 10/s) and 3.6 s (one at 1000/h), rounded up to whole seconds.
        assertThat(first.headers().firstValue("RateLimit")).hasValue("\"burst\";r=19;t=1, \"hourly\";r=999;t=4");
        assertThat(first.headers().firstValue("X-RateLimit-Limit")).hasValue("10");
        assertThat(first.headers().firstValue("X-RateLimit-Remaining")).hasValue("19");
        assertThat(first.headers().firstValue("X-RateLimit-Reset")).hasValue(String.valueOf(NEW_YEAR_SECONDS + 1));
        assertThat(first.headers().firstValue("Retry-After")).isEmpty();

        assertThat(fixture.statuses(19, "/")).doesNotContain("429");
        HttpResponse<String> refused = fixture.get("/");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValue("\"burst\";q=10;w=1");
        assertThat(refused.headers().firstValue("RateLimit")).hasValue("\"burst\";r=0;t=2");
        assertThat(refused.headers().firstValue("X-RateLimit-Limit")).hasValue("10");
        assertThat(refused.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
        assertThat(refused.headers().firstValue("X-RateLimit-Reset")).hasValue(String.valueOf(NEW_YEAR_SECONDS + 2));
        JsonNode body = json(refused);
        assertThat(body.path("error").asText()).isEqualTo("rate_limited");
        assertThat(body.path("status").asInt()).isEqualTo(429);
        assertThat(body.path("policy").asText()).isEqualTo("api");
        assertThat(body.path("rule").asText()).isEqualTo("per-client");
        assertThat(body.path("limit").path("name").asText()).isEqualTo("burst");
        assertThat(body.path("limit").path("requests").asLong()).isEqualTo(10);
        assertThat(body.path("limit").path("period").asText()).isEqualTo("1s");
        assertThat(body.path("limit").path("burst").asLong()).isEqualTo(20);
        assertThat(body.path("retryAfterSeconds").asLong()).isEqualTo(1);
        assertThat(body.path("message").asText()).isEqualTo(
                "rate limit exceeded: rule per-client of policy api allows 10 requests per 1s (burst 20); retry in 1s");
        assertThat(fixture.upstream.requests.get()).isEqualTo(20);
    }

    @Test
    void requestsNoRuleMatchesPassWithoutFields() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                policies:
                  - name: api
                    rules:
                      - name: writes
                        match: {methods: [POST]}
                        limits: [{requests: 1, period: 1h}]
                """, NEW_YEAR));

        HttpResponse<String> read = fixture.get("/");

        assertThat(fixture.statuses(3, "/")).isEqualTo("200 200 200");
        assertThat(read.headers().firstValue("RateLimit-Policy")).isEmpty();
        assertThat(read.headers().firstValue("X-RateLimit-Limit")).isEmpty();
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return ConfigLoader.json().readTree(response.body());
    }
}
