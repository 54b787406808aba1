namespace Mosaic.Rendering.Cuda;

/// <summary>A CUDA driver, NVRTC or kernel failure, or no usable GPU; the message says which call and why.</summary>
public class CudaException(string message, Exception? inner = null) : Exception(message, inner);
