namespace Mosaic.Transport.Dds;

/// <summary>Cyclone DDS could not be loaded or refused an operation; the message says which and why.</summary>
public sealed class DdsException(string message) : Exception(message);
