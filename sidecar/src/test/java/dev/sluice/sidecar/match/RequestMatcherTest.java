package dev.sluice.sidecar.match;

import static dev.sluice.sidecar.match.FixedRequest.get;
import static dev.sluice.sidecar.match.FixedRequest.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.HeaderMatch;
import dev.sluice.api.config.MatchConfig;
import dev.sluice.api.config.PathMatch;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestMatcherTest {

    @Test
    void emptyMatchesEverything() {
        assertThat(matcher(null, List.of(), List.of()).matches(request("DELETE", "/anything"))).isTrue();
    }

    @Test
    void exactPath() {
        RequestMatcher matcher = matcher(PathMatch.exact("/login"), List.of(), List.of());
        assertThat(matcher.matches(get("/login"))).isTrue();
        assertThat(matcher.matches(get("/login/"))).isFalse();
        assertThat(matcher.matches(get("/logins"))).isFalse();
    }

    @Test
    void pathPrefix() {
        RequestMatcher matcher = matcher(PathMatch.prefix("/api/"), List.of(), List.of());
        assertThat(matcher.matches(get("/api/users"))).isTrue();
        assertThat(matcher.matches(get("/api"))).isFalse();
        assertThat(matcher.matches(get("/static/api/"))).isFalse();
    }

    @Test
    void pathRegexMatchesTheWholePath() {
        RequestMatcher matcher = matcher(PathMatch.regex("/users/[0-9]+"), List.of(), List.of());
        assertThat(matcher.matches(get("/users/42"))).isTrue();
        assertThat(matcher.matches(get("/users/42/orders"))).isFalse();
        assertThat(matcher.matches(get("/users/me"))).isFalse();
    }

    @Test
    void methods() {
        RequestMatcher matcher = matcher(null, List.of("POST", "PUT"), List.of());
        assertThat(matcher.matches(request("POST", "/"))).isTrue();
        assertThat(matcher.matches(request("GET", "/"))).isFalse();
    }

    @Test
    void headerConditions() {
        assertThat(header(new HeaderMatch("X-Env", "prod", null, null, null), get("/").header("x-env", "prod"))).isTrue();
        assertThat(header(new HeaderMatch("X-Env", "prod", null, null, null), get("/").header("X-Env", "production"))).isFalse();
        assertThat(header(new HeaderMatch("Authorization", null, "Bearer ", null, null), get("/").header("Authorization", "Bearer abc"))).isTrue();
        assertThat(header(new HeaderMatch("User-Agent", null, null, ".*bot.*", null), get("/").header("User-Agent", "a crawler bot 1.0"))).isTrue();
        assertThat(header(new HeaderMatch("X-Api-Key", null, null, null, null), get("/"))).isFalse();
        assertThat(header(new HeaderMatch("X-Api-Key", null, null, null, null), get("/").header("X-Api-Key", "k"))).isTrue();
        assertThat(header(new HeaderMatch("X-Api-Key", null, null, null, false), get("/"))).isTrue();
        assertThat(header(new HeaderMatch("X-Api-Key", null, null, null, false), get("/").header("X-Api-Key", "k"))).isFalse();
    }

    @Test
    void everyConditionMustHold() {
        RequestMatcher matcher = matcher(PathMatch.prefix("/api"), List.of("GET"),
                List.of(new HeaderMatch("X-Env", "prod", null, null, null)));
        assertThat(matcher.matches(get("/api/x").header("X-Env", "prod"))).isTrue();
        assertThat(matcher.matches(request("POST", "/api/x").header("X-Env", "prod"))).isFalse();
        assertThat(matcher.matches(get("/api/x"))).isFalse();
    }

    private static boolean header(HeaderMatch match, RequestView request) {
        return matcher(null, List.of(), List.of(match)).matches(request);
    }

    private static RequestMatcher matcher(PathMatch path, List<String> methods, List<HeaderMatch> headers) {
        return RequestMatcher.compile(new MatchConfig(path, methods, headers));
    }
}
