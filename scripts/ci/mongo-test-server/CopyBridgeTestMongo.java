import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.h2.mvstore.MVStore;

/**
 * Test MongoDB-protocol server for CopyBridge's CI (see docs/mongodb.md): mongo-java-server on a
 * loopback port. The stock H2MongoServer main always binds localhost:27017, which would collide
 * between parallel test files, so this launcher takes host, port (0 = any free port) and an
 * optional H2 file, and prints the bound port for the test helper to read.
 *
 * Usage: java -cp CLASSPATH CopyBridgeTestMongo HOST PORT [DATA_FILE]
 * With DATA_FILE the data survives a restart (the outage test stops and restarts the server).
 */
public final class CopyBridgeTestMongo {
    /** H2's default 16 MB page cache makes a 100,000-trade collection crawl (every upsert misses). */
    private static MVStore openStore(String file) {
        int cacheMb = Integer.parseInt(System.getenv().getOrDefault("MJS_CACHE_MB", "256"));
        return new MVStore.Builder().fileName(file).cacheSize(cacheMb).open();
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: CopyBridgeTestMongo HOST PORT [DATA_FILE]");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String file = args.length > 2 ? args[2] : "";
        MongoBackend backend = file.isEmpty() ? new MemoryBackend() : new H2Backend(openStore(file));
        // The Node driver 6.x refuses servers older than wire version 7 (MongoDB 4.0).
        backend.version(ServerVersion.MONGO_5_0);
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        // SIGTERM (the helper's stop) must flush the H2 store, or acknowledged writes since the
        // last auto-commit would be lost and the outage test would blame the ledger for it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdownNow();
            } finally {
                backend.close();
            }
        }));
        System.out.println("LISTENING " + server.getLocalAddress().getPort());
        System.out.flush();
    }
}
