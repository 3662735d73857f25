package dev.sluice.sidecar.match;

import static dev.sluice.sidecar.match.FixedRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code X-Forwarded-For} sent as several header lines: RFC 9110 (5.3) makes them one comma-separated
 * list in order, and proxies such as HAProxy and several cloud load balancers add a line of their
 * own rather than appending to the client's.
 */
class ClientAddressesTest {
    private static final ClientAddresses BEHIND_PROXIES = new ClientAddresses(List.of("10.0.0.0/8", "192.168.1.1"));

    @Test
    void aForgedFirstLineIsNotBelievedWhenATrustedProxyAddsItsOwnLine() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "1.1.1.1")
                .header("X-Forwarded-For", "203.0.113.9");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("203.0.113.9");
    }

    @Test
    void threeLinesAreReadAsOneListFromTheRight() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "1.1.1.1, 2.2.2.2")
                .header("X-Forwarded-For", "203.0.113.9, 10.0.0.7")
                .header("X-Forwarded-For", "192.168.1.1");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("203.0.113.9");
    }

    @Test
    void trustedEntriesSpanningLinesAreSkipped() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "6.6.6.6, 198.51.100.4")
                .header("X-Forwarded-For", "10.1.1.1")
                .header("X-Forwarded-For", "10.2.2.2");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("198.51.100.4");
    }

    @Test
    void onlyTrustedEntriesOnEveryLineGiveTheLeftmost() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "10.9.9.9")
                .header("X-Forwarded-For", "10.0.0.7");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("10.9.9.9");
    }

    @Test
    void aGarbledEntryOnAnEarlierLineStopsTheWalk() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "203.0.113.1, not-an-address")
                .header("X-Forwarded-For", "10.0.0.9");

        // Left of "not-an-address" nothing was written by a proxy we trust.
        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("10.0.0.9");
    }

    @Test
    void emptyLinesAndEmptyEntriesAreSkipped() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "1.1.1.1")
                .header("X-Forwarded-For", "203.0.113.9,,")
                .header("X-Forwarded-For", " ");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("203.0.113.9");
    }

    @Test
    void ipv6WithBracketsAndPortsAcrossLines() {
        RequestView request = get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "[2001:db8::dead]:1")
                .header("X-Forwarded-For", "[2001:db8::1]:4711, 10.0.0.8:8080")
                .header("X-Forwarded-For", "2001:db8::2");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("2001:db8::2");
        assertThat(BEHIND_PROXIES.clientAddress(get("/").from("10.0.0.5")
                .header("X-Forwarded-For", "2001:db8::dead")
                .header("X-Forwarded-For", "[2001:db8::1]:4711, 10.0.0.8:8080")))
                .isEqualTo("2001:db8::1");
    }

    @Test
    void fromAnUntrustedPeerNoLineIsBelieved() {
        RequestView request = get("/").from("198.51.100.7")
                .header("X-Forwarded-For", "1.1.1.1")
                .header("X-Forwarded-For", "2.2.2.2");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("198.51.100.7");
    }

    @Test
    void theForwardedHeaderIsIgnored() {
        // RFC 7239 Forwarded is not read (README says so): a client cannot choose its key with it either.
        RequestView request = get("/").from("10.0.0.5")
                .header("Forwarded", "for=1.1.1.1")
                .header("X-Forwarded-For", "203.0.113.9");

        assertThat(BEHIND_PROXIES.clientAddress(request)).isEqualTo("203.0.113.9");
        assertThat(BEHIND_PROXIES.clientAddress(get("/").from("10.0.0.5").header("Forwarded", "for=1.1.1.1")))
                .isEqualTo("10.0.0.5");
    }
}
