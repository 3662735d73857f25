package dev.sluice.sidecar.http;

import io.undertow.client.ClientExchange;
import io.undertow.conduits.BytesReceivedStreamSourceConduit;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelExceptionHandler;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * An upgraded connection (a WebSocket, or any protocol the app switched to with 101): the client's
 * connection joined to the app's, bytes flowing both ways until either side closes, which closes both.
 * The upstream timeout is the handshake's only: a tunnel lasts as long as its two ends keep it, or
 * until nothing has moved either way for the idle timeout ({@code --upgrade-idle-timeout}), which
 * closes both connections so that a peer that vanished without a FIN does not hold them for ever.
 * The upstream connection becomes the tunnel's and never returns to a pool.
 */
final class Tunnel {
    private final StreamConnection clientSide;
    private final StreamConnection appSide;
    private final long idleNanos;
    /** Written and read on the tunnel's I/O thread only: both connections and the idle check run there. */
    private long lastActivity;

    private Tunnel(StreamConnection clientSide, StreamConnection appSide, long idleNanos) {
        this.clientSide = clientSide;
        this.appSide = appSide;
        this.idleNanos = idleNanos;
        this.lastActivity = System.nanoTime();
    }

    /**
     * Answers an upgrade the app accepted (101) and, once the client has the answer, joins the two connections.
     * The upstream connection was opened on the exchange's I/O thread, so both ends of the tunnel live on it.
     */
    static void open(ClientExchange received, HttpServerExchange exchange, long idleNanos) {
        exchange.getResponseHeaders().putAll(Headers.UPGRADE, received.getResponse().getResponseHeaders().get(Headers.UPGRADE));
        exchange.upgradeChannel((clientSide, upgraded) -> {
            StreamConnection appSide = null;
            try {
                appSide = received.getConnection().performUpgrade();
                new Tunnel(clientSide, appSide, idleNanos).start(received.getConnection().getBufferPool());
            } catch (IOException e) {
                IoUtils.safeClose(clientSide, appSide);
            }
        });
        exchange.endExchange();
    }

    private void start(ByteBufferPool pool) {
        watch(clientSide.getSourceChannel());
        watch(appSide.getSourceChannel());
        ChannelExceptionHandler<java.nio.channels.Channel> broken = (channel, e) -> IoUtils.safeClose(channel, clientSide, appSide);
        pipe(appSide.getSourceChannel(), clientSide.getSinkChannel(), broken, pool);
        pipe(clientSide.getSourceChannel(), appSide.getSinkChannel(), broken, pool);
        schedule(clientSide.getIoThread(), idleNanos);
    }

    /** Every byte read from either end, whichever direction it goes, is activity. */
    private void watch(ConduitStreamSourceChannel source) {
        source.setConduit(new BytesReceivedStreamSourceConduit(source.getConduit(), bytes -> lastActivity = System.nanoTime()));
    }

    private void schedule(XnioIoThread thread, long delayNanos) {
        thread.executeAfter(() -> checkIdle(thread), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkIdle(XnioIoThread thread) {
        if (!clientSide.isOpen() && !appSide.isOpen()) {
            return;
        }
        long idle = System.nanoTime() - lastActivity;
        if (idle >= idleNanos) {
            IoUtils.safeClose(clientSide, appSide);
        } else {
            schedule(thread, idleNanos - idle);
        }
    }

    /** One direction: what arrives is written on; the end of it shuts the other side's writes down. */
    private static void pipe(StreamSourceChannel from, StreamSinkChannel to, ChannelExceptionHandler<java.nio.channels.Channel> broken,
                             ByteBufferPool pool) {
        io.undertow.util.Transfer.initiateTransfer(from, to, ChannelListeners.closingChannelListener(),
                ChannelListeners.writeShutdownChannelListener(ChannelListeners.flushingChannelListener(ChannelListeners.closingChannelListener(),
                        ChannelListeners.closingChannelExceptionHandler()), ChannelListeners.closingChannelExceptionHandler()),
                broken, broken, pool);
    }
}
