package io.samtune.cluster;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.jgroups.util.SocketFactory;

/**
 * TLS handshakes of accepted connections done apart from the transport's single acceptor thread:
 * each in a pool, within a deadline, so that a connection that sends nothing (or trickles) cannot
 * delay the handshakes of others. The transport is handed only connections whose handshake
 * completed; the others are closed at the deadline. At most {@value #IN_FLIGHT} handshakes run at
 * once; connections beyond that are closed at once.
 */
final class HandshakeGuard implements SocketFactory {

    static final int IN_FLIGHT = 32;
    private final SocketFactory base;
    private final long deadlineMillis;

    /**
     * @param base the TLS socket factory of the transport
     * @param deadlineMillis how long an accepted connection may take to complete its handshake
     */
    HandshakeGuard(SocketFactory base, long deadlineMillis) {
        this.base = base;
        this.deadlineMillis = deadlineMillis;
    }

    @Override
    public ServerSocket createServerSocket(String name) throws IOException {
        return new Guarded(base.createServerSocket(name), deadlineMillis);
    }

    @Override
    public ServerSocket createServerSocket(String name, int port) throws IOException {
        return new Guarded(base.createServerSocket(name, port), deadlineMillis);
    }

    @Override
    public ServerSocket createServerSocket(String name, int port, int backlog) throws IOException {
        return new Guarded(base.createServerSocket(name, port, backlog), deadlineMillis);
    }

    @Override
    public ServerSocket createServerSocket(String name, int port, int backlog, InetAddress bind) throws IOException {
        return new Guarded(base.createServerSocket(name, port, backlog, bind), deadlineMillis);
    }

    @Override
    public Socket createSocket(String name) throws IOException {
        return base.createSocket(name);
    }

    @Override
    public Socket createSocket(String name, String host, int port) throws IOException {
        return base.createSocket(name, host, port);
    }

    @Override
    public Socket createSocket(String name, InetAddress host, int port) throws IOException {
        return base.createSocket(name, host, port);
    }

    @Override
    public Socket createSocket(String name, String host, int port, InetAddress local, int localPort) throws IOException {
        return base.createSocket(name, host, port, local, localPort);
    }

    @Override
    public Socket createSocket(String name, InetAddress host, int port, InetAddress local, int localPort)
            throws IOException {
        return base.createSocket(name, host, port, local, localPort);
    }

    @Override
    public DatagramSocket createDatagramSocket(String name) throws SocketException {
        return base.createDatagramSocket(name);
    }

    @Override
    public DatagramSocket createDatagramSocket(String name, SocketAddress bind) throws SocketException {
        return base.createDatagramSocket(name, bind);
    }

    @Override
    public DatagramSocket createDatagramSocket(String name, int port) throws SocketException {
        return base.createDatagramSocket(name, port);
    }

    @Override
    public DatagramSocket createDatagramSocket(String name, int port, InetAddress bind) throws SocketException {
        return base.createDatagramSocket(name, port, bind);
    }

    @Override
    public MulticastSocket createMulticastSocket(String name) throws IOException {
        return base.createMulticastSocket(name);
    }

    @Override
    public MulticastSocket createMulticastSocket(String name, int port) throws IOException {
        return base.createMulticastSocket(name, port);
    }

    @Override
    public MulticastSocket createMulticastSocket(String name, SocketAddress bind) throws IOException {
        return base.createMulticastSocket(name, bind);
    }

    @Override
    public void close(Socket sock) throws IOException {
        base.close(sock);
    }

    @Override
    public void close(ServerSocket sock) throws IOException {
        base.close(sock);
    }

    @Override
    public void close(DatagramSocket sock) {
        base.close(sock);
    }

    /** A server socket whose {@link #accept()} returns only connections that completed their handshake. */
    static final class Guarded extends ServerSocket {
        private final ServerSocket delegate;
        private final long deadlineMillis;
        private final LinkedBlockingQueue<Socket> ready = new LinkedBlockingQueue<>();
        private final Semaphore slots = new Semaphore(IN_FLIGHT);
        private final ExecutorService handshakes = Executors.newCachedThreadPool(daemon("tls-handshake"));
        private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(daemon("tls-deadline"));
        private volatile boolean closed;
        private Thread pump;

        Guarded(ServerSocket delegate, long deadlineMillis) throws IOException {
            super();
            this.delegate = delegate;
            this.deadlineMillis = deadlineMillis;
            if (delegate.isBound()) {
                startPump();
            }
        }

        private static java.util.concurrent.ThreadFactory daemon(String name) {
            return r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            };
        }

        @Override
        public void bind(SocketAddress endpoint) throws IOException {
            bind(endpoint, 50);
        }

        @Override
        public synchronized void bind(SocketAddress endpoint, int backlog) throws IOException {
            delegate.bind(endpoint, backlog);
            startPump();
        }

        private synchronized void startPump() {
            if (pump != null) {
                return;
            }
            pump = new Thread(this::pumpLoop, "tls-accept");
            pump.setDaemon(true);
            pump.start();
        }

        private void pumpLoop() {
            while (!closed) {
                Socket s;
                try {
                    s = delegate.accept();
                } catch (IOException e) {
                    if (closed || delegate.isClosed()) {
                        return;
                    }
                    continue;
                }
                if (!slots.tryAcquire()) {
                    quietly(s); // too many handshakes under way: a flood is refused, not queued
                    continue;
                }
                try {
                    handshakes.execute(() -> handshake(s));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    slots.release();
                    quietly(s);
                }
            }
        }

        private void handshake(Socket s) {
            ScheduledFuture<?> deadline = null;
            try {
                deadline = watchdog.schedule(() -> quietly(s), deadlineMillis, TimeUnit.MILLISECONDS);
                s.setSoTimeout((int) Math.max(1, deadlineMillis));
                if (s instanceof SSLSocket ssl) {
                    ssl.startHandshake();
                }
                if (deadline.cancel(false) && !s.isClosed()) {
                    s.setSoTimeout(0);
                    ready.offer(s);
                } else {
                    quietly(s);
                }
            } catch (IOException | RuntimeException e) {
                if (deadline != null) {
                    deadline.cancel(false);
                }
                quietly(s);
            } finally {
                slots.release();
            }
        }

        private static void quietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a connection that failed its handshake
            }
        }

        @Override
        public Socket accept() throws IOException {
            while (!closed) {
                try {
                    Socket s = ready.poll(100, TimeUnit.MILLISECONDS);
                    if (s != null) {
                        return s;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SocketException("Socket is closed");
                }
            }
            throw new SocketException("Socket is closed");
        }

        @Override
        public void close() throws IOException {
            closed = true;
            delegate.close();
            handshakes.shutdownNow();
            watchdog.shutdownNow();
            for (Socket s; (s = ready.poll()) != null; ) {
                quietly(s);
            }
        }

        @Override
        public boolean isClosed() {
            return closed || delegate.isClosed();
        }

        @Override
        public boolean isBound() {
            return delegate.isBound();
        }

        @Override
        public int getLocalPort() {
            return delegate.getLocalPort();
        }

        @Override
        public InetAddress getInetAddress() {
            return delegate.getInetAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return delegate.getLocalSocketAddress();
        }

        @Override
        public void setReuseAddress(boolean on) throws SocketException {
            delegate.setReuseAddress(on);
        }

        @Override
        public boolean getReuseAddress() throws SocketException {
            return delegate.getReuseAddress();
        }

        @Override
        public synchronized void setReceiveBufferSize(int size) throws SocketException {
            delegate.setReceiveBufferSize(size);
        }

        @Override
        public synchronized int getReceiveBufferSize() throws SocketException {
            return delegate.getReceiveBufferSize();
        }

        @Override
        public synchronized void setSoTimeout(int timeout) throws SocketException {
            // accept() polls its queue; the delegate's accept runs on the pump without a timeout
        }

        @Override
        public String toString() {
            return "Guarded" + delegate;
        }
    }
}
