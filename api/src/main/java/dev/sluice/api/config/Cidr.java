package dev.sluice.api.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 address range such as {@code 10.0.0.0/8}; a bare address is a range of one. */
public record Cidr(byte[] network, int prefixLength) {

    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must be an IP address or CIDR range, got an empty value");
        }
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes = IpAddresses.parse(address);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR range (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)");
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + bits);
            }
        }
        return new Cidr(bytes, prefix);
    }

    public boolean contains(byte[] address) {
        if (address == null || address.length != network.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int remainingBits = prefixLength % 8;
        if (remainingBits == 0) {
            return true;
        }
        int mask = (0xFF << (8 - remainingBits)) & 0xFF;
        return (address[fullBytes] & mask) == (network[fullBytes] & mask);
    }

    /** Address literals only: never a DNS lookup. */
    public static final class IpAddresses {
        private IpAddresses() {
        }

        /** The address bytes of an IPv4 or IPv6 literal (IPv4-mapped IPv6 becomes IPv4), or null if it is not one. */
        public static byte[] parse(String text) {
            if (text == null || text.isEmpty()) {
                return null;
            }
            String literal = text.trim();
            if (literal.startsWith("[") && literal.endsWith("]")) {
                literal = literal.substring(1, literal.length() - 1);
            }
            if (literal.indexOf(':') < 0) {
                return parseIpv4(literal);
            }
            for (int i = 0; i < literal.length(); i++) {
                char c = literal.charAt(i);
                boolean allowed = Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%';
                if (!allowed) {
                    return null;
                }
            }
            try {
                // A string of only hex digits, colons and dots is parsed as a literal by InetAddress, without DNS.
                return InetAddress.getByName(literal).getAddress();
            } catch (UnknownHostException | RuntimeException e) {
                return null;
            }
        }

        static byte[] parseIpv4(String text) {
            byte[] bytes = new byte[4];
            int part = 0;
            int value = -1;
            for (int i = 0; i <= text.length(); i++) {
                char c = i < text.length() ? text.charAt(i) : '.';
                if (c >= '0' && c <= '9') {
                    value = (value < 0 ? 0 : value * 10) + (c - '0');
                    if (value > 255) {
                        return null;
                    }
                } else if (c == '.') {
                    if (value < 0 || part > 3) {
                        return null;
                    }
                    bytes[part++] = (byte) value;
                    value = -1;
                } else {
                    return null;
                }
            }
            return part == 4 ? bytes : null;
        }
    }
}
