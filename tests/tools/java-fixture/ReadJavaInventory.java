/*
 * Reads an inventory file the way the Java PromSNMP restores it at startup
 * (InventoryCodec.restore: decrypt if the key has 16 characters, then Jackson into InventoryDTO
 * with the application's mapper) and prints one line per device:
 *   sysName|sysLocation|sysContact|address:port of the primary agent
 * Exits non-zero (with Jackson's message) if the file does not load, e.g. because of a
 * property the Java model does not know and the mapper would not ignore.
 *
 * Usage: java -cp <jackson jars>:<classes> ReadJavaInventory <file> <key>
 */

import java.nio.file.Path;

public class ReadJavaInventory {

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ReadJavaInventory <file> <key>");
            System.exit(2);
        }
        InventoryDTO inventory =
                InventoryCodec.restore(InventoryCodec.mapper(), Path.of(args[0]), args[1]);
        for (NetworkDevice device : inventory.devices) {
            String endpoint = device.primaryAgent == null ? "-"
                    : device.primaryAgent.endpoint.address.getHostAddress() + ":"
                            + device.primaryAgent.endpoint.port;
            System.out.println(device.sysName + "|" + device.sysLocation + "|" + device.sysContact
                    + "|" + endpoint);
        }
    }
}
