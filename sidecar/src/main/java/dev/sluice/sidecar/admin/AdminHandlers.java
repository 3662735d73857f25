package dev.sluice.sidecar.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.config.ConfigSource;
import dev.sluice.sidecar.config.ConfigWatcher;
import dev.sluice.sidecar.config.LoadedConfig;
import dev.sluice.sidecar.config.ReloadFailure;
import dev.sluice.sidecar.drain.DrainEndpoint;
import dev.sluice.sidecar.enforce.Enforcement;
import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.limit.RuleLimiter;
import dev.sluice.sidecar.route.OutboundRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Handlers;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin port's endpoints, apart from traffic: {@code /healthz} (the process is alive; the port
 * only listens once the first configuration is loaded), {@code /readyz} (a configuration is in force,
 * traffic is being served and the sidecar does not drain), {@code /drain} (see {@link DrainEndpoint}), {@code /metrics}
 * (Prometheus), {@code /config} (the configuration in force, its generation, the rules applied to
 * this pod and their key counts, and the last refused reload) and {@code /state} (breakers, outbound
 * routes and gates as they are now). Both views read the one {@link Enforcement} in force. {@code /config} also says
 * where the configuration came from ({@code source}: the file or the watched ConfigMap, with its uid and
 * resourceVersion) and how the watch goes; {@code /readyz} does not depend on the watch: traffic keeps flowing with
 * the last configuration while the API server is unreachable. {@code /report} is the compact view the operator scrapes
 * (see {@link Report}).
 */
public final class AdminHandlers {
    private AdminHandlers() {
    }

    /**
     * @param watcher says how the last reload went
     * @param watchStatus says how the watch on the configuration's ConfigMap goes; null without one
     * @param notReadyReason says why traffic should not come here although a configuration is in force (null: no reason)
     * @param drain answers {@code GET /drain}, the app's preStop hook
     * @param report the report of what is in force now, for the operator
     */
    public static HttpHandler create(Supplier<Enforcement> inForce, ConfigWatcher watcher, Supplier<String> watchStatus,
                                     OutboundRoutes outboundRoutes,
                                     PrometheusMeterRegistry registry, BooleanSupplier serving, Supplier<String> notReadyReason,
                                     DrainEndpoint drain, Supplier<Report> report) {
        RoutingHandler routes = Handlers.routing()
                .get("/healthz", exchange -> text(exchange, StatusCodes.OK, "ok\n"))
                .get("/readyz", exchange -> ready(exchange, inForce.get().loaded(), watcher.lastFailure(), serving, notReadyReason))
                .get("/drain", drain)
                .get("/metrics", blocking(exchange -> {
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    exchange.getResponseSender().send(registry.scrape());
                }))
                .get("/config", blocking(exchange -> json(exchange, StatusCodes.OK, configView(inForce.get(), watcher.lastFailure(), watchStatus))))
                // Scraped by the operator every few seconds from every pod: answered on the I/O thread, as it reads
                // only what is in force, and written compact.
                .get("/report", exchange -> {
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                    exchange.getResponseSender().send(ByteBuffer.wrap(ConfigLoader.json().writeValueAsBytes(report.get())));
                });
        routes.setFallbackHandler(exchange -> text(exchange, StatusCodes.NOT_FOUND,
                "not found: try /healthz, /readyz, /metrics, /config, /state, /report\n"));
        // /state answers every method, as it always has; the routes above answer GET.
        return Handlers.path(routes)
                .addExactPath("/state", blocking(exchange -> json(exchange, StatusCodes.OK, StateView.of(inForce.get(), outboundRoutes.view()))));
    }

    private static void ready(HttpServerExchange exchange, LoadedConfig loaded, ReloadFailure failure, BooleanSupplier serving,
                              Supplier<String> notReadyReason) throws JsonProcessingException {
        String reason = notReadyReason.get();
        boolean ready = loaded != null && serving.getAsBoolean() && reason == null;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", ready);
        if (reason != null) {
            body.put("reason", reason);
        }
        body.put("generation", loaded == null ? null : loaded.generation());
        body.put("configFile", configFile(loaded));
        body.put("lastReloadError", failure == null ? null : failure.message());
        json(exchange, ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
    }

    static Map<String, Object> configView(Enforcement current, ReloadFailure failure, Supplier<String> watchStatus) {
        Map<String, Object> view = new LinkedHashMap<>();
        LoadedConfig loaded = current.loaded();
        RateLimiter limiter = current.limiter();
        view.put("generation", loaded == null ? null : loaded.generation());
        view.put("configFile", configFile(loaded));
        ConfigSource source = loaded == null ? null : loaded.source();
        view.put("source", source == null ? null : source.kind().name());
        if (source != null && source.fromWatch()) {
            Map<String, Object> configMap = new LinkedHashMap<>();
            configMap.put("name", source.name());
            configMap.put("uid", source.uid());
            configMap.put("resourceVersion", source.resourceVersion());
            view.put("configMap", configMap);
        }
        if (watchStatus != null) {
            view.put("watch", watchStatus.get());
        }
        view.put("sha256", loaded == null ? null : loaded.sha256());
        view.put("loadedAt", loaded == null ? null : loaded.loadedAt().toString());
        view.put("podLabels", loaded == null ? null : loaded.podLabels());
        view.put("ignoredFields", loaded == null ? List.of() : loaded.ignoredFields());
        view.put("appliedPolicies", limiter.appliedPolicies());
        view.put("warnings", limiter.warnings());
        List<Map<String, Object>> rules = new ArrayList<>();
        for (RuleLimiter rule : limiter.rules()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("policy", rule.policy());
            entry.put("rule", rule.rule());
            entry.put("mode", rule.mode().name());
            entry.put("limitType", rule.limitType().label());
            entry.put("keys", rule.keyCount());
            rules.add(entry);
        }
        view.put("rules", rules);
        if (failure != null) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("at", failure.at().toString());
            error.put("sha256", failure.sha256());
            error.put("message", failure.message());
            error.put("errors", failure.errors());
            view.put("lastReloadError", error);
        } else {
            view.put("lastReloadError", null);
        }
        view.put("config", loaded == null ? null : loaded.config());
        return view;
    }

    /** "present", or "absent" while a sidecar started with {@code --config-optional} has no file and enforces nothing. */
    private static String configFile(LoadedConfig loaded) {
        return loaded == null ? null : loaded.present() ? "present" : "absent";
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return exchange -> {
            if (exchange.isInIoThread()) {
                exchange.dispatch(handler);
                return;
            }
            handler.handleRequest(exchange);
        };
    }

    private static void json(HttpServerExchange exchange, int status, Object body) throws JsonProcessingException {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(ConfigLoader.json().writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    }

    private static void text(HttpServerExchange exchange, int status, String body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseSender().send(body);
    }
}
