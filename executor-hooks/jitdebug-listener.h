// jitdebug-listener.h — an LLVM JITEventListener that hands MCJIT's and ORC RuntimeDyld's objects to
// the hooks.
//
// MCJIT and ORC's RTDyldObjectLinkingLayer tell their JITEventListeners about every object they load
// and free. LLVM's own GDB listener (JITEventListener::createGDBRegistrationListener) puts the objects
// into libLLVM's GDB JIT list only. This listener registers them with the hooks
// (jd_register_object), so they reach the registry, GDB's JIT list, the perf map, the jitdump with
// line numbers and the debug link. The listener unregisters an object when LLVM frees it.
//
// Header-only, so it compiles against the user's LLVM version (tested with 14, 16 and 19). Compile
// with the flags of that LLVM (`llvm-config --cxxflags`) and with -fno-rtti, as libLLVM is built
// without RTTI. Link libjitdebug-hooks and libLLVM.
//
//     #include "jitdebug-listener.h"
//     static jitdebug::Listener listener;  // must outlive every engine it is registered with
//     listener.attach(*engine);                   // MCJIT: replaces LLVM's GDB listener
//     layer.registerJITEventListener(listener);   // ORC RTDyldObjectLinkingLayer
//
// It replaces LLVM's GDB listener; it is not meant to run beside it. MCJIT registers LLVM's GDB
// listener with every engine it creates, and attach() removes it. With both listeners, GDB would
// load each object twice (once from each list).
//
// What is registered: RuntimeDyld's debug object, which is a copy of the object whose section headers
// carry the load addresses, .bss included. That copy stays with the listener until LLVM frees the
// object, so the hooks borrow it (JD_REGISTER_BORROW) instead of copying it again. Objects that are
// not ELF, or for which RuntimeDyld made no debug object, are skipped. Objects the hooks reject
// (-EINVAL: malformed) are skipped, and the hooks log why.
#ifndef JITDEBUG_LISTENER_H
#define JITDEBUG_LISTENER_H

#include "jitdebug-hooks.h"

#include <llvm/ExecutionEngine/ExecutionEngine.h>
#include <llvm/ExecutionEngine/JITEventListener.h>
#include <llvm/ExecutionEngine/RuntimeDyld.h>
#include <llvm/Object/ObjectFile.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

namespace jitdebug {

class Listener final : public llvm::JITEventListener {
public:
	Listener() = default;
	Listener(const Listener &) = delete;
	Listener &operator=(const Listener &) = delete;
	// Objects still registered when the listener goes away are unregistered.
	~Listener() override
	{
		std::lock_guard<std::mutex> hold(lock_);
		for (auto &entry : objects_)
			jd_unregister_object(entry.second.id);
	}

	// For MCJIT: takes LLVM's GDB listener (registered by MCJIT itself) off the engine and registers
	// this one. Call it before the engine compiles anything.
	void attach(llvm::ExecutionEngine &engine)
	{
		engine.UnregisterJITEventListener(llvm::JITEventListener::createGDBRegistrationListener());
		engine.RegisterJITEventListener(this);
	}

	void notifyObjectLoaded(ObjectKey key, const llvm::object::ObjectFile &obj,
				const llvm::RuntimeDyld::LoadedObjectInfo &info) override
	{
		if (!obj.isELF())
			return;
		llvm::object::OwningBinary<llvm::object::ObjectFile> debug = info.getObjectForDebug(obj);
		if (!debug.getBinary())
			return;
		llvm::MemoryBufferRef bytes = debug.getBinary()->getMemoryBufferRef();
		struct jd_register_opts opts = {sizeof(opts), JD_REGISTER_BORROW};
		uint64_t id = 0;
		if (jd_register_object(bytes.getBufferStart(), bytes.getBufferSize(), &opts, &id) != 0)
			return;
		std::lock_guard<std::mutex> hold(lock_);
		auto old = objects_.find(key);
		if (old != objects_.end()) { // a key reused without a free: the old object is gone
			jd_unregister_object(old->second.id);
			objects_.erase(old);
		}
		objects_.emplace(key, Entry{id, std::move(debug)});
	}

	void notifyFreeingObject(ObjectKey key) override
	{
		std::lock_guard<std::mutex> hold(lock_);
		auto entry = objects_.find(key);
		if (entry == objects_.end())
			return;
		// Unregistered before its bytes are freed: the hooks never read a freed borrowed object.
		jd_unregister_object(entry->second.id);
		objects_.erase(entry);
	}

	// The number of objects registered through this listener and not yet freed.
	size_t size() const
	{
		std::lock_guard<std::mutex> hold(lock_);
		return objects_.size();
	}

private:
	struct Entry {
		uint64_t id;
		llvm::object::OwningBinary<llvm::object::ObjectFile> debug; // the borrowed bytes
	};
	mutable std::mutex lock_;
	std::map<ObjectKey, Entry> objects_;
};

} // namespace jitdebug

#endif
