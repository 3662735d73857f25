package dev.sluice.api.config;

import java.util.regex.Pattern;

/**
 * The syntax of names, tokens and labels, shared by the document's validator, the operator's
 * validators and the CRD schema ({@code @Pattern} reads the {@code *_PATTERN} constants), so that
 * none of them can accept what another refuses.
 */
public final class Syntax {
    /** A policy, rule or breaker name: a DNS subdomain label of at most 63 characters, dots allowed. */
    public static final String NAME_PATTERN = "^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$";
    /** An outbound route's name: a DNS label (no dots), as it appears in metrics. */
    public static final String ROUTE_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
    /**
     * A Kubernetes label key (qualified name): an optional prefix that is a DNS subdomain (RFC 1123: dot-separated
     * labels of lower-case letters, digits and '-', each starting and ending with a letter or digit) and a '/', then
     * a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit. The
     * prefix's 253 characters at most are more than a schema pattern says: {@link #isLabelKey} checks them too.
     */
    public static final String LABEL_KEY_PATTERN =
            "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
    public static final int MAX_LABEL_KEY_PREFIX = 253;
    /** An outbound route's upstream: an http or https URL with a host and no query or fragment. */
    public static final String UPSTREAM_PATTERN = "^https?://[^/?#\\s]+(/[^?#\\s]*)?$";
    public static final int MIN_PERCENT = 1;
    public static final int MAX_PERCENT = 100;
    public static final int MIN_PORT = 1;
    public static final int MAX_PORT = 65535;

    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);
    private static final Pattern ROUTE_NAME = Pattern.compile(ROUTE_NAME_PATTERN);
    /** RFC 9110 token: header names and methods. */
    private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern LABEL_KEY = Pattern.compile(LABEL_KEY_PATTERN);
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?");

    private Syntax() {
    }

    public static boolean isName(String value) {
        return value != null && NAME.matcher(value).matches();
    }

    public static boolean isRouteName(String value) {
        return value != null && ROUTE_NAME.matcher(value).matches();
    }

    public static boolean isHttpToken(String value) {
        return value != null && HTTP_TOKEN.matcher(value).matches();
    }

    /** An HTTP method as Sluice compares them: a token in upper case. */
    public static boolean isMethod(String value) {
        return isHttpToken(value) && value.equals(value.toUpperCase());
    }

    public static boolean isLabelKey(String value) {
        return value != null && LABEL_KEY.matcher(value).matches() && value.indexOf('/') <= MAX_LABEL_KEY_PREFIX;
    }

    public static boolean isLabelValue(String value) {
        return value != null && LABEL_VALUE.matcher(value).matches();
    }

    public static boolean isPort(Integer value) {
        return value != null && value >= MIN_PORT && value <= MAX_PORT;
    }
}
