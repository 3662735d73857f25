package dev.sluice.sidecar.match;

import static dev.sluice.sidecar.match.FixedRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.KeyDimension;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyExtractorTest {
    private static final ClientAddresses NO_PROXIES = new ClientAddresses(List.of());
    private static final ClientAddresses BEHIND_PROXIES = new ClientAddresses(List.of("10.0.0.0/8", "192.168.1.1"));

    @Test
    void spoofedForwardedForFromAnUntrustedPeerIsIgnored() {
        RequestView spoofed = get("/").from("198.51.100.7").header("X-Forwarded-For", "1.1.1.1");

        assertThat(NO_PROXIES.clientAddress(spoofed)).isEqualTo("198.51.100.7");
        assertThat(BEHIND_PROXIES.clientAddress(spoofed)).isEqualTo("198.51.100.7");
    }

    @Test
    void trustedProxyForwardsTheClient() {
        RequestView request = get("/").from("10.0.0.5").header("X-Forwarded-For", "203.0.113.9");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("203.0.113.9");
    }

    @Test
    void onlyTheEntryAppendedByTheNearestTrustedProxyCounts() {
        // The client sent "X-Forwarded-For: 1.1.1.1" itself; the trusted proxies appended what they saw.
        RequestView request = get("/").from("10.0.0.5").header("X-Forwarded-For", "1.1.1.1, 203.0.113.9, 192.168.1.1");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("203.0.113.9");
    }

    @Test
    void chainOfOnlyTrustedProxiesGivesTheLeftmost() {
        RequestView request = get("/").from("10.0.0.5").header("X-Forwarded-For", "10.9.9.9, 10.0.0.7");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("10.9.9.9");
    }

    @Test
    void garbledEntriesAndPortsAndIpv6() {
        // Left of a garbled entry nothing is trustworthy: the last proxy known to be ours is the best answer.
        assertThat(BEHIND_PROXIES.clientAddress(get("/").from("10.0.0.5").header("X-Forwarded-For", "evil, 10.0.0.9")))
                .isEqualTo("10.0.0.9");
        assertThat(BEHIND_PROXIES.clientAddress(get("/").from("10.0.0.5").header("X-Forwarded-For", "203.0.113.9:4711")))
                .isEqualTo("203.0.113.9");
        assertThat(BEHIND_PROXIES.clientAddress(get("/").from("10.0.0.5").header("X-Forwarded-For", "[2001:db8::1]:4711")))
                .isEqualTo("2001:db8::1");
        assertThat(BEHIND_PROXIES.clientAddress(get("/").from("10.0.0.5").header("X-Forwarded-For", " ")))
                .isEqualTo("10.0.0.5");
    }

    @Test
    void compoundKeyOfEveryDimension() {
        KeyExtractor extractor = new KeyExtractor(List.of(KeyDimension.clientIp(), KeyDimension.header("X-Api-Key"),
                KeyDimension.pathSegment(1), KeyDimension.route()), NO_PROXIES);
        RequestKey key = new RequestKey();

        boolean complete = extractor.append(get("/v1/users/42").from("192.0.2.1").header("X-Api-Key", "k1"), key);

        assertThat(complete).isTrue();
        assertThat(key.toString()).isEqualTo("\u001f192.0.2.1\u001fk1\u001fusers\u001fGET /v1/users/42");
    }

    @Test
    void missingDimensionIsReportedAndShared() {
        KeyExtractor extractor = new KeyExtractor(List.of(KeyDimension.header("X-Api-Key")), NO_PROXIES);
        RequestKey first = new RequestKey();
        RequestKey second = new RequestKey();

        assertThat(extractor.append(get("/a").from("192.0.2.1"), first)).isFalse();
        assertThat(extractor.append(get("/b").from("192.0.2.2"), second)).isFalse();
        assertThat(first.toString()).isEqualTo(second.toString());
    }

    @Test
    void pathSegments() {
        assertThat(KeyExtractor.pathSegment("/api/v1/users/42", 0)).isEqualTo("api");
        assertThat(KeyExtractor.pathSegment("/api/v1/users/42", 3)).isEqualTo("42");
        assertThat(KeyExtractor.pathSegment("/api/v1/users/42", 4)).isNull();
        assertThat(KeyExtractor.pathSegment("/api//x", 1)).isNull();
        assertThat(KeyExtractor.pathSegment("/", 0)).isNull();
    }
}
