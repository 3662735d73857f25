package dev.sluice.operator.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admission webhook over HTTP: reads the AdmissionReview, asks {@code respond} for the answer and
 * writes it back. A decision that fails is a refusal (code 500) that says so: the webhooks guard a
 * maximum, and letting a request through undecided could break it.
 */
public final class AdmissionEndpoint implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionEndpoint.class);

    private final KubernetesSerialization serialization;
    private final Function<AdmissionRequest, AdmissionResponse> respond;

    public AdmissionEndpoint(KubernetesSerialization serialization, Function<AdmissionRequest, AdmissionResponse> respond) {
        this.serialization = serialization;
        this.respond = respond;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "POST an AdmissionReview\n", "text/plain");
                return;
            }
            AdmissionReview review;
            try (InputStream body = exchange.getRequestBody()) {
                review = serialization.unmarshal(new String(body.readAllBytes(), StandardCharsets.UTF_8), AdmissionReview.class);
            } catch (RuntimeException e) {
                send(exchange, 400, "not an AdmissionReview: " + e.getMessage() + "\n", "text/plain");
                return;
            }
            if (review == null || review.getRequest() == null) {
                send(exchange, 400, "not an AdmissionReview: no request\n", "text/plain");
                return;
            }
            AdmissionRequest request = review.getRequest();
            AdmissionResponse response;
            try {
                response = respond.apply(request);
            } catch (RuntimeException e) {
                String kind = request.getKind() == null || request.getKind().getKind() == null ? "object" : request.getKind().getKind();
                LOG.warn("Could not decide on {} {} {}: {}", kind, request.getOperation(), request.getUid(), e.toString());
                response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(false)
                        .withStatus(new StatusBuilder().withCode(500).withMessage("Sluice could not decide on this " + kind + " (" + e.getMessage()
                                + "); retry").build()).build();
            }
            AdmissionReview answer = new AdmissionReviewBuilder().withApiVersion("admission.k8s.io/v1").withKind("AdmissionReview")
                    .withResponse(response).build();
            send(exchange, 200, serialization.asJson(answer), "application/json");
        }
    }

    private static void send(HttpExchange exchange, int status, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
