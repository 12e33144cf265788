import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.net.InetAddress;

/** Mirrors the Java PromSNMP AgentEndpoint; the address goes through InetAddressSerializer. */
@JsonPropertyOrder({"address", "port"})
public class AgentEndpoint {
    public InetAddress address;
    public int port;

    public AgentEndpoint() {
    }

    public AgentEndpoint(InetAddress address, int port) {
        this.address = address;
        this.port = port;
    }
}
