using System.Net;
using System.Net.Sockets;

namespace ImageOperator.Testing;

/// <summary>Free TCP ports on the loopback interface, for servers a test starts itself.</summary>
public static class FreePort
{
    /// <summary>
    /// Returns a port that is free on 127.0.0.1 at the time of the call (the kernel's pick). Another process can take it
    /// before the caller binds it; callers that can, should retry on a bind failure.
    /// </summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
