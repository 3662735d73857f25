package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrTest {

    @Test
    void ipv4Ranges() {
        Cidr cidr = Cidr.parse("10.1.0.0/16");
        assertThat(cidr.contains(Cidr.IpAddresses.parse("10.1.200.3"))).isTrue();
        assertThat(cidr.contains(Cidr.IpAddresses.parse("10.2.0.1"))).isFalse();
        assertThat(Cidr.parse("192.168.1.128/25").contains(Cidr.IpAddresses.parse("192.168.1.200"))).isTrue();
        assertThat(Cidr.parse("192.168.1.128/25").contains(Cidr.IpAddresses.parse("192.168.1.100"))).isFalse();
        assertThat(Cidr.parse("127.0.0.1").contains(Cidr.IpAddresses.parse("127.0.0.1"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(Cidr.IpAddresses.parse("8.8.8.8"))).isTrue();
    }

    @Test
    void ipv6Ranges() {
        Cidr cidr = Cidr.parse("fd00::/8");
        assertThat(cidr.contains(Cidr.IpAddresses.parse("fd12:3456::1"))).isTrue();
        assertThat(cidr.contains(Cidr.IpAddresses.parse("2001:db8::1"))).isFalse();
        assertThat(cidr.contains(Cidr.IpAddresses.parse("10.0.0.1"))).isFalse();
    }

    @Test
    void literalsOnlyNeverHostNames() {
        assertThat(Cidr.IpAddresses.parse("localhost")).isNull();
        assertThat(Cidr.IpAddresses.parse("example.com")).isNull();
        assertThat(Cidr.IpAddresses.parse("256.1.1.1")).isNull();
        assertThat(Cidr.IpAddresses.parse("1.2.3")).isNull();
        assertThat(Cidr.IpAddresses.parse("[::1]")).hasSize(16);
    }

    @Test
    void refusesBadRanges() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/40")).hasMessageContaining("prefix length outside 0..32");
        assertThatThrownBy(() -> Cidr.parse("ten/8")).hasMessageContaining("'ten/8' is not an IP address or CIDR range");
    }
}
