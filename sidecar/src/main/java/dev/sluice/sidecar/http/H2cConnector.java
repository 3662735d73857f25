package dev.sluice.sidecar.http;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.http2.Http2ClientConnection;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.http2.Http2Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import org.xnio.ChannelListener;
import org.xnio.IoFuture;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;

/**
 * Opens an HTTP/2 connection in cleartext with prior knowledge to an h2c app (a gRPC server): what Undertow's
 * {@code h2c-prior} client provider does (the connection preface, then an {@link Http2Channel} and an
 * {@link Http2ClientConnection} on it), except that the channel answers a PING with its ACK only.
 *
 * <p>Undertow 2.4's HTTP/2 client answers a peer's PING twice: the channel sends the ACK, then the client's receive
 * listener sends the same payload again as a PING of its own ({@code Http2ClientConnection.Http2ReceiveListener.handlePing}
 * calls {@code Http2Channel.sendPing(byte[])}, which is not an ACK). grpc-go's server pings its client whenever data
 * arrives, to size its flow-control window (BDP estimation), and counts a client's PING that comes before its own next
 * write as a strike; at the third it closes the connection with GOAWAY {@code ENHANCE_YOUR_CALM} ("too_many_pings"),
 * and every call on it fails. Through the sidecar, gRPC calls with requests of a few tens of kilobytes, a few at a time,
 * got UNAVAILABLE ("the sidecar could not reach the upstream") and missed their deadlines (grpc-go 1.85's server logged
 * "got too many pings from the client"; {@code H2cUpstreamPingIT} reads the frames).
 * The echo is dropped here: {@code sendPing(byte[])} is called by nothing else, and the sidecar never pings the app itself.
 */
final class H2cConnector {
    private H2cConnector() {
    }

    /** Opens a connection to {@code app}'s host and port on {@code thread}; {@code callback} gets it, or the failure. */
    static void connect(ClientCallback<ClientConnection> callback, URI app, XnioIoThread thread, ByteBufferPool buffers,
                        OptionMap options) {
        String host = app.getHost();
        ChannelListener<StreamConnection> opened = connection -> callback.completed(open(connection, buffers, options, host));
        // h2c:// without a port: 80, as for http://.
        thread.openStreamConnection(new InetSocketAddress(host, app.getPort() < 0 ? 80 : app.getPort()), opened, options)
                .addNotifier(new IoFuture.HandlingNotifier<StreamConnection, Object>() {
                    @Override
                    public void handleFailed(IOException exception, Object attachment) {
                        callback.failed(exception);
                    }

                    @Override
                    public void handleCancelled(Object attachment) {
                        callback.failed(new IOException("connecting to " + app + " was cancelled"));
                    }
                }, null);
    }

    private static ClientConnection open(StreamConnection connection, ByteBufferPool buffers, OptionMap options, String host) {
        return new Http2ClientConnection(new AckOnlyChannel(connection, buffers, options), false, host, null, false);
    }

    /** A client-side channel whose one-argument {@code sendPing}, Undertow's echo of a peer's PING, sends nothing. */
    private static final class AckOnlyChannel extends Http2Channel {
        AckOnlyChannel(StreamConnection connection, ByteBufferPool buffers, OptionMap options) {
            super(connection, null, buffers, null, true, false, options);
        }

        @Override
        public void sendPing(byte[] data) {
            // The channel acknowledged the peer's PING when it read it (an ACK carrying the same payload): nothing more is owed.
        }
    }
}
